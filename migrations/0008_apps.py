from tortoise import migrations
from tortoise.migrations import operations as ops
from models.identity import SessionKind
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0007_background_jobs')]

    initial = False

    operations = [
        ops.CreateModel(
            name='App',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='apps', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=100)),
                ('description', fields.CharField(default='', max_length=500)),
                ('avatar_file_id', fields.BigIntField(null=True)),
                ('scopes', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('redirect_uris', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('client_id', fields.CharField(unique=True, max_length=64)),
                ('client_secret_hash', fields.CharField(max_length=64)),
                ('bot_user', fields.ForeignKeyField('models.User', source_field='bot_user_id', db_constraint=True, to_field='id', related_name='bot_apps', on_delete=OnDelete.RESTRICT)),
                ('created_by_id', fields.BigIntField(null=True)),
                ('disabled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'app', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'id'])], 'pk_attr': 'id', 'table_description': 'An app registered by an admin of one organization.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='AuthSession',
            name='app',
            field=fields.ForeignKeyField('models.App', source_field='app_id', null=True, db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='AuthSession',
            name='kind',
            field=fields.CharEnumField(default=SessionKind.SIGN_IN, db_default=SessionKind.SIGN_IN, description='SIGN_IN: SIGN_IN\nOAUTH: OAUTH\nCLIENT: CLIENT\nPERSONAL: PERSONAL', enum_type=SessionKind, max_length=12),
        ),
        ops.AddField(
            model_name='AuthSession',
            name='name',
            field=fields.CharField(default='', db_default='', max_length=100),
        ),
        ops.AddField(
            model_name='AuthSession',
            name='scopes',
            field=fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='User',
            name='is_bot',
            field=fields.BooleanField(default=False, db_default=False),
        ),
    ]
