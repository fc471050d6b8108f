from tortoise import migrations
from tortoise.migrations import operations as ops
from models.calendar import InvitationMethod, InvitationStatus
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0012_calendar')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CalendarImport',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('calendar', fields.ForeignKeyField('models.Calendar', source_field='calendar_id', db_constraint=True, to_field='id', related_name='imports', on_delete=OnDelete.CASCADE)),
                ('user_id', fields.BigIntField()),
                ('created', fields.IntField(default=0)),
                ('updated', fields.IntField(default=0)),
                ('skipped', fields.IntField(default=0)),
                ('errors', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'calendar_import', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One ``calendarImport``: what it did, so that a retry with its idempotency key answers'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboundInvitation',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization_id', fields.BigIntField()),
                ('event', fields.ForeignKeyField('models.Event', source_field='event_id', db_constraint=True, to_field='id', related_name='outbound_invitations', on_delete=OnDelete.CASCADE)),
                ('recipient', fields.CharField(max_length=254)),
                ('method', fields.CharEnumField(description='REQUEST: REQUEST\nCANCEL: CANCEL', enum_type=InvitationMethod, max_length=8)),
                ('sequence', fields.IntField()),
                ('ics', fields.TextField(unique=False)),
                ('status', fields.CharEnumField(default=InvitationStatus.QUEUED, description='QUEUED: QUEUED\nSENT: SENT\nFAILED: FAILED', enum_type=InvitationStatus, max_length=8)),
                ('attempts', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'calendar_outbound_invitation', 'app': 'models', 'indexes': [Index(fields=['status', 'id']), Index(fields=['event_id', 'id'])], 'pk_attr': 'id', 'table_description': 'An iTIP message (RFC 5546) for an external attendee, recorded in the transaction of the'},
            bases=['Model'],
        ),
    ]
