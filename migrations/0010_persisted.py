from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0009_oauth')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PersistedQuery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('sha256', fields.CharField(unique=True, max_length=64)),
                ('text', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_used_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'persisted_query', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One GraphQL document registered by its SHA-256 (lower-case hex), shared by every client'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TrustedDocument',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('app', fields.ForeignKeyField('models.App', source_field='app_id', db_constraint=True, to_field='id', related_name='trusted_documents', on_delete=OnDelete.CASCADE)),
                ('document_id', fields.CharField(max_length=128)),
                ('sha256', fields.CharField(max_length=64)),
                ('text', fields.TextField(unique=False)),
                ('operation_name', fields.CharField(null=True, max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'trusted_document', 'app': 'models', 'unique_together': (('app_id', 'document_id'),), 'indexes': [Index(fields=['app_id', 'sha256'])], 'pk_attr': 'id', 'table_description': 'One operation of a manifest uploaded by an app: the id the app sends (a sha256 from'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='App',
            name='trusted_documents_only',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Organization',
            name='require_trusted_documents',
            field=fields.BooleanField(default=False, db_default=False),
        ),
    ]
