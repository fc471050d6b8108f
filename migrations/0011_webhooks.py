from tortoise import migrations
from tortoise.migrations import operations as ops
from models.webhooks import DeliveryState
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0010_persisted')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ChatIncomingWebhook',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization_id', fields.BigIntField()),
                ('chat', fields.ForeignKeyField('models.Chat', source_field='chat_id', db_constraint=True, to_field='id', related_name='incoming_webhooks', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=100)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('signing_secret_encrypted', fields.CharField(null=True, max_length=200)),
                ('bot_user', fields.ForeignKeyField('models.User', source_field='bot_user_id', db_constraint=True, to_field='id', related_name='incoming_webhooks', on_delete=OnDelete.RESTRICT)),
                ('created_by_id', fields.BigIntField(null=True)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'chat_incoming_webhook', 'app': 'models', 'indexes': [Index(fields=['chat_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A URL that posts into one chat as a bot user of its own (what Lark calls a custom bot).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookSequence',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=100)),
                ('last_value', fields.BigIntField(default=0)),
            ],
            options={'table': 'webhook_sequence', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The last sequence number given to events of one object (``chat:12``): taken with an'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookSubscription',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='webhook_subscriptions', on_delete=OnDelete.CASCADE)),
                ('app', fields.ForeignKeyField('models.App', source_field='app_id', db_constraint=True, to_field='id', related_name='webhook_subscriptions', on_delete=OnDelete.CASCADE)),
                ('url', fields.CharField(max_length=2000)),
                ('event_types', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('secret_encrypted', fields.CharField(max_length=200)),
                ('created_by_id', fields.BigIntField(null=True)),
                ('verified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'webhook_subscription', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'id']), Index(fields=['app_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A subscription of an app: events of these types in its organization, POSTed to ``url``.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookDelivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('subscription', fields.ForeignKeyField('models.WebhookSubscription', source_field='subscription_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('organization_id', fields.BigIntField()),
                ('event_id', fields.CharField(max_length=40)),
                ('event_type', fields.CharField(max_length=100)),
                ('body', fields.TextField(unique=False)),
                ('chat_id', fields.BigIntField(null=True)),
                ('state', fields.CharEnumField(default=DeliveryState.PENDING, description='PENDING: PENDING\nSUCCEEDED: SUCCEEDED\nFAILED: FAILED\nCANCELLED: CANCELLED', enum_type=DeliveryState, max_length=10)),
                ('attempts', fields.IntField(default=0)),
                ('generation', fields.IntField(default=0)),
                ('retry_until', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('next_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(null=True, max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'webhook_delivery', 'app': 'models', 'indexes': [Index(fields=['subscription_id', 'id'])], 'pk_attr': 'id', 'table_description': 'One event for one subscription, with its retries. The body is kept as sent, so every'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookAttempt',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('delivery', fields.ForeignKeyField('models.WebhookDelivery', source_field='delivery_id', db_constraint=True, to_field='id', related_name='attempt_log', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('status_code', fields.IntField(null=True)),
                ('latency_ms', fields.IntField()),
                ('response_excerpt', fields.CharField(default='', max_length=1024)),
                ('error', fields.CharField(null=True, max_length=40)),
                ('error_message', fields.CharField(null=True, max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'webhook_attempt', 'app': 'models', 'unique_together': (('delivery_id', 'number'),), 'pk_attr': 'id', 'table_description': 'One POST of a delivery and how it ended.'},
            bases=['Model'],
        ),
    ]
