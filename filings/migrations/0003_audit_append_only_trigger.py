"""On PostgreSQL, a trigger rejects UPDATE and DELETE of audit events, whoever sends the SQL.

TRUNCATE is left alone: it needs the table owner's rights (who could drop the trigger anyway), and
Django's test runner empties tables with it. Each export states the chain head, so a wiped
table cannot pass for an intact one against an earlier export.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION filings_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER filings_auditevent_append_only
    BEFORE UPDATE OR DELETE ON filings_auditevent
    FOR EACH ROW EXECUTE FUNCTION filings_auditevent_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS filings_auditevent_append_only ON filings_auditevent;
DROP FUNCTION IF EXISTS filings_auditevent_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # params=None: no placeholder parsing, so the "%" of RAISE is sent as it is (psycopg 3).
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("filings", "0002_roles")]
    operations = [migrations.RunPython(forwards, backwards)]
