from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0008_apps')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuthorizationCode',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code_hash', fields.CharField(unique=True, max_length=64)),
                ('app', fields.ForeignKeyField('models.App', source_field='app_id', db_constraint=True, to_field='id', related_name='authorization_codes', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='authorization_codes', on_delete=OnDelete.CASCADE)),
                ('redirect_uri', fields.CharField(max_length=2000)),
                ('scopes', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('code_challenge', fields.CharField(max_length=128)),
                ('code_challenge_method', fields.CharField(default='S256', max_length=8)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('session', fields.ForeignKeyField('models.AuthSession', source_field='session_id', null=True, db_constraint=True, to_field='id', related_name='authorization_codes', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'oauth_authorization_code', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A code of the authorization code grant, stored only as an HMAC of its value.'},
            bases=['Model'],
        ),
    ]
