from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # Only acts when a DatabaseCache is configured (the embedded default).
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("tingting", "0001_initial")]
    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
