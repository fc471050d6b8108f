from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0005_drive')]

    initial = False

    operations = [
        ops.AddField(
            model_name='IdempotencyRecord',
            name='fingerprint',
            field=fields.CharField(default='', db_default='', max_length=64),
        ),
        ops.AddIndex(
            model_name='IdempotencyRecord',
            index=Index(fields=['created_at']),
        ),
    ]
