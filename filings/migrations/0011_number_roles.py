"""The groups hold exactly the permissions of filings.roles (everyone views numbers; preparers
add and change them)."""

from django.db import migrations

from filings.roles import refresh_roles


def forwards(apps, schema_editor):
    refresh_roles(apps=apps, using=schema_editor.connection.alias, skip_missing=True)


class Migration(migrations.Migration):
    dependencies = [("filings", "0010_number_filings")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
