from tortoise import migrations
from tortoise.migrations import operations as ops
from models.jobs import JobState
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0006_idempotency_fingerprint')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BackgroundJob',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=100)),
                ('args', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('key', fields.CharField(max_length=200)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', null=True, db_constraint=True, to_field='id', related_name='background_jobs', on_delete=OnDelete.CASCADE)),
                ('requested_by_id', fields.BigIntField(null=True)),
                ('state', fields.CharEnumField(default=JobState.QUEUED, description='QUEUED: QUEUED\nRUNNING: RUNNING\nSUCCEEDED: SUCCEEDED\nDEAD: DEAD', enum_type=JobState, max_length=12)),
                ('run_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('attempts', fields.IntField(default=0)),
                ('max_attempts', fields.IntField(default=5)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('relayed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(null=True, max_length=500)),
                ('progress_done', fields.BigIntField(default=0)),
                ('progress_total', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'background_job', 'app': 'models', 'unique_together': (('name', 'key'),), 'indexes': [Index(fields=['state', 'run_at']), Index(fields=['state', 'lease_until']), Index(fields=['organization_id', 'state', 'id'])], 'pk_attr': 'id', 'table_description': 'One unit of work for a handler, enqueued in the transaction that asked for it.'},
            bases=['Model'],
        ),
    ]
