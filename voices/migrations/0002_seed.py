from django.db import migrations


def seed(apps, schema_editor):
    from voices.seed import seed_rows

    Voice = apps.get_model("voices", "Voice")
    present = set(Voice.objects.values_list("internal_name", flat=True))
    Voice.objects.bulk_create([row for row in seed_rows(Voice) if row.internal_name not in present])


class Migration(migrations.Migration):
    dependencies = [("voices", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
