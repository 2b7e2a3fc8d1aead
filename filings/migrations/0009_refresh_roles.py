"""The groups hold exactly the permissions of filings.roles (Reviewer and Auditor gain the view
permission of the document accesses)."""

from django.db import migrations

from filings.roles import refresh_roles


def forwards(apps, schema_editor):
    # Permissions of models newer than this migration are skipped; a migration that adds such a
    # model runs the refresh again.
    refresh_roles(apps=apps, using=schema_editor.connection.alias, skip_missing=True)


class Migration(migrations.Migration):
    dependencies = [("filings", "0008_retention")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
