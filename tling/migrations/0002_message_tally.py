"""The message tally (exact page totals without counting every row), filled from the
existing messages, and the index exact counts use when the tally cannot answer."""

from datetime import UTC

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import Count
from django.db.models.functions import TruncDay


def fill_tally(apps, schema_editor):
    message, tally = apps.get_model("tling", "Message"), apps.get_model("tling", "MessageTally")
    rows = (message.objects.order_by().values("owner_id", "status", "phone_code",
                                              day=TruncDay("created_at", tzinfo=UTC))
            .annotate(count=Count("pk")))
    tally.objects.bulk_create([
        tally(owner_id=row["owner_id"], status=row["status"], phone_code=row["phone_code"],
              created_day=row["day"], n=row["count"]) for row in rows.iterator()
    ], batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_guardrails'),
        ('tling', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='MessageTally',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('created', 'Created'), ('queued', 'Queued'), ('queue failed', 'Queue Failed'), ('buffered', 'Buffered'), ('sent', 'Sent'), ('delivered', 'Delivered'), ('undelivered', 'Undelivered'), ('failed', 'Failed'), ('expired', 'Expired')], max_length=16)),
                ('phone_code', models.CharField(max_length=8)),
                ('created_day', models.DateTimeField()),
                ('n', models.BigIntegerField(default=0)),
            ],
        ),
        migrations.AddIndex(
            model_name='message',
            index=models.Index(fields=['owner', 'status', 'phone_code', 'created_at'], name='tling_msg_owner_st_code_crt'),
        ),
        migrations.AddField(
            model_name='messagetally',
            name='owner',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddConstraint(
            model_name='messagetally',
            constraint=models.UniqueConstraint(fields=('owner', 'status', 'phone_code', 'created_day'), name='tling_tally_key'),
        ),
        migrations.RunPython(fill_tally, migrations.RunPython.noop),
    ]
