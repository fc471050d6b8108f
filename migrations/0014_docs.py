from tortoise import migrations
from tortoise.migrations import operations as ops
from models.docs import UpdateOrigin, VersionKind
from models.drive import ItemKind
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class StateOnlyAlterField(ops.AlterField):
    """A new member of DriveItem.kind (DOC) changes only the field's description: the column,
    a VARCHAR(8), stays as it is. Tortoise would remake the whole drive_item table on SQLite for
    it, and its remake drops the table's indexes (the unique name per folder among them), so
    this alteration is recorded in the migration state only."""

    async def database_forward(self, *args, **kwargs) -> None:
        return None

    async def database_backward(self, *args, **kwargs) -> None:
        return None


class Migration(migrations.Migration):
    dependencies = [('models', '0013_calendar_share')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Document',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('item', fields.OneToOneField('models.DriveItem', source_field='item_id', db_constraint=True, to_field='id', related_name='document', on_delete=OnDelete.CASCADE)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='documents', on_delete=OnDelete.RESTRICT)),
                ('revision', fields.BigIntField(default=0)),
                ('snapshot', fields.BinaryField(null=True)),
                ('snapshot_revision', fields.BigIntField(default=0)),
                ('log_count', fields.IntField(default=0)),
                ('log_bytes', fields.BigIntField(default=0)),
                ('compaction_queued_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('title', fields.TextField(default='', unique=False)),
                ('plain_text', fields.TextField(default='', unique=False)),
                ('search_key', fields.TextField(default='', unique=False)),
                ('indexed_revision', fields.BigIntField(default=0)),
                ('index_queued_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('editors_since_version', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('edited_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_version_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='documents_created', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'doc_document', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'updated_at'])], 'pk_attr': 'id', 'table_description': 'What makes a Drive item of kind DOC a doc. The id is the item id.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DocComment',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization_id', fields.BigIntField()),
                ('document', fields.ForeignKeyField('models.Document', source_field='document_id', db_constraint=True, to_field='id', related_name='comments', on_delete=OnDelete.CASCADE)),
                ('thread', fields.ForeignKeyField('models.DocComment', source_field='thread_id', null=True, db_constraint=True, to_field='id', related_name='replies', on_delete=OnDelete.CASCADE)),
                ('author', fields.ForeignKeyField('models.User', source_field='author_id', null=True, db_constraint=True, to_field='id', related_name='doc_comments', on_delete=OnDelete.SET_NULL)),
                ('body', fields.TextField(unique=False)),
                ('mentioned_user_ids', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('block_id', fields.CharField(null=True, max_length=64)),
                ('anchor_start', fields.BinaryField(null=True)),
                ('anchor_end', fields.BinaryField(null=True)),
                ('quote', fields.TextField(default='', unique=False)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('resolved_by_id', fields.BigIntField(null=True)),
                ('edited_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'doc_comment', 'app': 'models', 'indexes': [Index(fields=['document_id', 'thread_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A comment on a document: a thread (``thread`` null) anchored to a text range or to the'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DocUpdate',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('document', fields.ForeignKeyField('models.Document', source_field='document_id', db_constraint=True, to_field='id', related_name='updates', on_delete=OnDelete.CASCADE)),
                ('revision', fields.BigIntField()),
                ('data', fields.BinaryField()),
                ('author', fields.ForeignKeyField('models.User', source_field='author_id', null=True, db_constraint=True, to_field='id', related_name='doc_updates', on_delete=OnDelete.SET_NULL)),
                ('origin', fields.CharEnumField(default=UpdateOrigin.CLIENT, description='CLIENT: CLIENT\nBLOCKS: BLOCKS\nRESTORE: RESTORE\nIMPORT: IMPORT', enum_type=UpdateOrigin, max_length=12)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'doc_update', 'app': 'models', 'unique_together': (('document_id', 'revision'),), 'pk_attr': 'id', 'table_description': 'One stored Yjs update (v1 encoding) of a document, in revision order. Append-only: rows'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DocVersion',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('document', fields.ForeignKeyField('models.Document', source_field='document_id', db_constraint=True, to_field='id', related_name='versions', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('kind', fields.CharEnumField(description='AUTO: AUTO\nNAMED: NAMED\nRESTORE: RESTORE', enum_type=VersionKind, max_length=8)),
                ('name', fields.CharField(null=True, max_length=200)),
                ('revision', fields.BigIntField()),
                ('state', fields.BinaryField()),
                ('title', fields.TextField(default='', unique=False)),
                ('editor_ids', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='doc_versions', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'doc_version', 'app': 'models', 'unique_together': (('document_id', 'number'),), 'pk_attr': 'id', 'table_description': 'A saved state of a document: the whole Yjs document as one update, and who changed it'},
            bases=['Model'],
        ),
        StateOnlyAlterField(
            model_name='DriveItem',
            name='kind',
            field=fields.CharEnumField(description='FILE: FILE\nFOLDER: FOLDER\nDOC: DOC', enum_type=ItemKind, max_length=8),
        ),
    ]
