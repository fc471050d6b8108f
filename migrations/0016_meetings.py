from tortoise import migrations
from tortoise.migrations import operations as ops
from models.meetings import LobbyPolicy, MeetingKind, MeetingMode, MeetingStatus, ParticipantRole, ParticipantState, RecordingState
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0015_docs_formats')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Meeting',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='meetings', on_delete=OnDelete.RESTRICT)),
                ('number', fields.CharField(unique=True, max_length=12)),
                ('topic', fields.CharField(default='', max_length=255)),
                ('kind', fields.CharEnumField(default=MeetingKind.INSTANT, description='INSTANT: INSTANT\nSCHEDULED: SCHEDULED', enum_type=MeetingKind, max_length=10)),
                ('status', fields.CharEnumField(default=MeetingStatus.WAITING, description='WAITING: WAITING\nLIVE: LIVE\nENDED: ENDED', enum_type=MeetingStatus, max_length=8)),
                ('mode', fields.CharEnumField(default=MeetingMode.MESH, description='MESH: MESH\nSFU: SFU', enum_type=MeetingMode, max_length=4)),
                ('host', fields.ForeignKeyField('models.User', source_field='host_id', db_constraint=True, to_field='id', related_name='meetings_hosted', on_delete=OnDelete.RESTRICT)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', db_constraint=True, to_field='id', related_name='meetings_created', on_delete=OnDelete.RESTRICT)),
                ('passcode', fields.CharField(null=True, max_length=16)),
                ('link_secret', fields.CharField(max_length=32)),
                ('lobby_policy', fields.CharEnumField(default=LobbyPolicy.GUESTS, description='NOBODY: NOBODY\nGUESTS: GUESTS\nEVERYONE: EVERYONE', enum_type=LobbyPolicy, max_length=8)),
                ('locked', fields.BooleanField(default=False)),
                ('allow_multiple_shares', fields.BooleanField(default=False)),
                ('chat_id', fields.BigIntField(null=True)),
                ('source_chat_id', fields.BigIntField(null=True)),
                ('card_message_id', fields.BigIntField(null=True)),
                ('event_id', fields.BigIntField(null=True, db_index=True)),
                ('janus_room', fields.BigIntField(null=True)),
                ('revision', fields.BigIntField(default=0)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'meeting', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A meeting. ``number`` is what people type or dial (nine digits, unique) and the link'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MeetingParticipant',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('meeting', fields.ForeignKeyField('models.Meeting', source_field='meeting_id', db_constraint=True, to_field='id', related_name='participants', on_delete=OnDelete.CASCADE)),
                ('organization_id', fields.BigIntField()),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='meeting_participations', on_delete=OnDelete.CASCADE)),
                ('display_name', fields.CharField(default='', max_length=64)),
                ('role', fields.CharEnumField(default=ParticipantRole.ATTENDEE, description='HOST: HOST\nCOHOST: COHOST\nATTENDEE: ATTENDEE\nRECORDER: RECORDER', enum_type=ParticipantRole, max_length=8)),
                ('state', fields.CharEnumField(default=ParticipantState.LOBBY, description='LOBBY: LOBBY\nJOINED: JOINED\nLEFT: LEFT\nREMOVED: REMOVED', enum_type=ParticipantState, max_length=8)),
                ('session', fields.IntField(default=0)),
                ('guest_token_hash', fields.CharField(null=True, unique=True, max_length=64)),
                ('audio_muted', fields.BooleanField(default=False)),
                ('video_muted', fields.BooleanField(default=False)),
                ('muted_by_host', fields.BooleanField(default=False)),
                ('hand_raised_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sharing', fields.BooleanField(default=False)),
                ('janus', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('joined_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_seen_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'meeting_participant', 'app': 'models', 'unique_together': (('meeting_id', 'user_id'),), 'pk_attr': 'id', 'table_description': 'One person (or guest, or recorder) in one meeting: one row for their whole time in'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MeetingAttendance',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('meeting', fields.ForeignKeyField('models.Meeting', source_field='meeting_id', db_constraint=True, to_field='id', related_name='attendance', on_delete=OnDelete.CASCADE)),
                ('participant', fields.ForeignKeyField('models.MeetingParticipant', source_field='participant_id', db_constraint=True, to_field='id', related_name='intervals', on_delete=OnDelete.CASCADE)),
                ('joined_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('left_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'meeting_attendance', 'app': 'models', 'indexes': [Index(fields=['meeting_id', 'joined_at'])], 'pk_attr': 'id', 'table_description': 'One interval of one participant in one meeting (for history and reports).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MeetingRecording',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('meeting', fields.ForeignKeyField('models.Meeting', source_field='meeting_id', db_constraint=True, to_field='id', related_name='recordings', on_delete=OnDelete.CASCADE)),
                ('organization_id', fields.BigIntField()),
                ('started_by', fields.ForeignKeyField('models.User', source_field='started_by_id', db_constraint=True, to_field='id', related_name='meeting_recordings', on_delete=OnDelete.RESTRICT)),
                ('state', fields.CharEnumField(default=RecordingState.RECORDING, description='RECORDING: RECORDING\nSTOPPING: STOPPING\nUPLOADING: UPLOADING\nREADY: READY\nFAILED: FAILED', enum_type=RecordingState, max_length=10)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('stopped_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('duration_ms', fields.BigIntField(null=True)),
                ('bytes', fields.BigIntField(default=0)),
                ('file_id', fields.BigIntField(null=True)),
                ('job_id', fields.BigIntField(null=True)),
                ('error', fields.TextField(null=True, unique=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'meeting_recording', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A recording of a meeting, from start to stop, and the Drive file it became.'},
            bases=['Model'],
        ),
    ]
