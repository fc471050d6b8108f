from tortoise import migrations
from tortoise.migrations import operations as ops
from models.identity import Role, TokenKind
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Organization',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=100)),
                ('domain', fields.CharField(null=True, max_length=253)),
                ('allowed_email_domains', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('default_time_zone', fields.CharField(default='UTC', max_length=64)),
                ('message_edit_window_minutes', fields.IntField(default=1440)),
                ('message_recall_window_minutes', fields.IntField(default=1440)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'organization', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A tenant: every other object belongs to exactly one.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='users', on_delete=OnDelete.RESTRICT)),
                ('email', fields.CharField(unique=True, max_length=254)),
                ('display_name', fields.CharField(max_length=100)),
                ('password_hash', fields.CharField(max_length=255)),
                ('role', fields.CharEnumField(default=Role.MEMBER, description='OWNER: OWNER\nADMIN: ADMIN\nMEMBER: MEMBER\nGUEST: GUEST', enum_type=Role, max_length=16)),
                ('is_active', fields.BooleanField(default=True)),
                ('deactivated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('must_change_password', fields.BooleanField(default=False)),
                ('time_zone', fields.CharField(default='UTC', max_length=64)),
                ('locale', fields.CharField(default='en', max_length=16)),
                ('avatar_file_id', fields.BigIntField(null=True)),
                ('manager', fields.ForeignKeyField('models.User', source_field='manager_id', null=True, db_constraint=True, to_field='id', related_name='reports', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'users', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'id']), Index(fields=['organization_id', 'display_name', 'id'])], 'pk_attr': 'id', 'table_description': 'A person in one organization. Emails are unique across Hello (stored lower-cased) so that'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuthSession',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_index=True, db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('user_agent', fields.CharField(default='', max_length=255)),
                ('ip', fields.CharField(default='', max_length=64)),
            ],
            options={'table': 'auth_session', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One sign-in on one device: the family of tokens that rotate from it. Revoking it revokes'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuthToken',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('session', fields.ForeignKeyField('models.AuthSession', source_field='session_id', db_index=True, db_constraint=True, to_field='id', related_name='tokens', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='ACCESS: access\nREFRESH: refresh', enum_type=TokenKind, max_length=8)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'auth_token', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An opaque bearer token, stored only as an HMAC of its value.'},
            bases=['Model'],
        ),
    ]
