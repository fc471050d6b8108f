from tortoise import migrations
from tortoise.migrations import operations as ops
from models.messenger import ChatKind, ChatPolicy, ChatRole, MessageKind
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_admin')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Chat',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='chats', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='GROUP: GROUP\nDIRECT: DIRECT', enum_type=ChatKind, max_length=8)),
                ('name', fields.CharField(default='', max_length=100)),
                ('description', fields.CharField(default='', max_length=1000)),
                ('direct_key', fields.CharField(null=True, unique=True, max_length=64)),
                ('announcement', fields.TextField(default='', unique=False)),
                ('send_policy', fields.CharEnumField(default=ChatPolicy.EVERYONE, description='EVERYONE: EVERYONE\nADMINS: ADMINS', enum_type=ChatPolicy, max_length=8)),
                ('add_policy', fields.CharEnumField(default=ChatPolicy.EVERYONE, description='EVERYONE: EVERYONE\nADMINS: ADMINS', enum_type=ChatPolicy, max_length=8)),
                ('disbanded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_seq', fields.BigIntField(default=0)),
                ('last_activity_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='chats_created', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'chat', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'id']), Index(fields=['last_activity_at', 'id'])], 'pk_attr': 'id', 'table_description': 'A conversation. ``last_seq`` is the sequence number of its newest message: a sender'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ChatMember',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('chat', fields.ForeignKeyField('models.Chat', source_field='chat_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_index=True, db_constraint=True, to_field='id', related_name='chat_memberships', on_delete=OnDelete.CASCADE)),
                ('role', fields.CharEnumField(default=ChatRole.MEMBER, description='OWNER: OWNER\nADMIN: ADMIN\nMEMBER: MEMBER', enum_type=ChatRole, max_length=8)),
                ('read_seq', fields.BigIntField(default=0)),
                ('muted', fields.BooleanField(default=False)),
                ('pinned_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('joined_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'chat_member', 'app': 'models', 'unique_together': (('chat_id', 'user_id'),), 'pk_attr': 'id', 'table_description': 'A user in a chat, with their read position (the highest seq they have read).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Message',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('chat', fields.ForeignKeyField('models.Chat', source_field='chat_id', db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.CASCADE)),
                ('seq', fields.BigIntField()),
                ('sender', fields.ForeignKeyField('models.User', source_field='sender_id', null=True, db_constraint=True, to_field='id', related_name='messages_sent', on_delete=OnDelete.SET_NULL)),
                ('kind', fields.CharEnumField(default=MessageKind.TEXT, description='TEXT: TEXT\nSYSTEM: SYSTEM', enum_type=MessageKind, max_length=8)),
                ('text', fields.TextField(unique=False)),
                ('content', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('reply_to', fields.ForeignKeyField('models.Message', source_field='reply_to_id', null=True, db_constraint=True, to_field='id', related_name='replies', on_delete=OnDelete.SET_NULL)),
                ('thread_root', fields.ForeignKeyField('models.Message', source_field='thread_root_id', null=True, db_constraint=True, to_field='id', related_name='thread_replies', on_delete=OnDelete.SET_NULL)),
                ('reply_count', fields.IntField(default=0)),
                ('last_reply_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('edited_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('edit_count', fields.IntField(default=0)),
                ('recalled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('recalled_by_id', fields.BigIntField(null=True)),
                ('forwarded_from_id', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'message', 'app': 'models', 'unique_together': (('chat_id', 'seq'),), 'pk_attr': 'id', 'table_description': 'A message. ``(chat_id, seq)`` is unique and gap-free within a chat.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MessageEdit',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('message', fields.ForeignKeyField('models.Message', source_field='message_id', db_constraint=True, to_field='id', related_name='edits', on_delete=OnDelete.CASCADE)),
                ('text', fields.TextField(unique=False)),
                ('content', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('edited_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'message_edit', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An earlier version of an edited message (at most 20 per message).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MessageMention',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('message', fields.ForeignKeyField('models.Message', source_field='message_id', db_constraint=True, to_field='id', related_name='mentions', on_delete=OnDelete.CASCADE)),
                ('chat_id', fields.BigIntField()),
                ('seq', fields.BigIntField()),
                ('user_id', fields.BigIntField()),
            ],
            options={'table': 'message_mention', 'app': 'models', 'indexes': [Index(fields=['user_id', 'chat_id', 'seq'])], 'pk_attr': 'id', 'table_description': 'A user mentioned in a message, for mention counts above the read position.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MessagePin',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('chat_id', fields.BigIntField(db_index=True)),
                ('message', fields.OneToOneField('models.Message', source_field='message_id', db_constraint=True, to_field='id', related_name='pin', on_delete=OnDelete.CASCADE)),
                ('pinned_by_id', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'message_pin', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Reaction',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('message', fields.ForeignKeyField('models.Message', source_field='message_id', db_constraint=True, to_field='id', related_name='reactions', on_delete=OnDelete.CASCADE)),
                ('user_id', fields.BigIntField()),
                ('emoji', fields.CharField(max_length=32)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'message_reaction', 'app': 'models', 'unique_together': (('message_id', 'user_id', 'emoji'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
