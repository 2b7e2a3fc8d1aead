"""On PostgreSQL, triggers also refuse TRUNCATE of the audit events and of the chain head, and
DELETE of the chain head (audit.record only ever UPDATEs the head).

TRUNCATE passes only when the session sets `portal.allow_audit_truncate` to 'on': the test suite
does (portal/test_settings.py), because Django empties a throwaway test database with TRUNCATE.
Any session may set it, so the triggers guard against mistakes, such as `manage.py flush` on the
real database; what stops an attacker is the database role the portal runs under, which has no
UPDATE, DELETE or TRUNCATE on the audit table and does not own it (README, "Database roles").
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION filings_audit_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('portal.allow_audit_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only (% of % refused)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER filings_auditevent_refuse_truncate
    BEFORE TRUNCATE ON filings_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION filings_audit_refuse_truncate();
CREATE TRIGGER filings_auditchainhead_refuse_truncate
    BEFORE TRUNCATE ON filings_auditchainhead
    FOR EACH STATEMENT EXECUTE FUNCTION filings_audit_refuse_truncate();

CREATE OR REPLACE FUNCTION filings_auditchainhead_refuse_delete() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit chain head cannot be deleted (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER filings_auditchainhead_refuse_delete
    BEFORE DELETE ON filings_auditchainhead
    FOR EACH ROW EXECUTE FUNCTION filings_auditchainhead_refuse_delete();
"""
DROP = """
DROP TRIGGER IF EXISTS filings_auditchainhead_refuse_delete ON filings_auditchainhead;
DROP FUNCTION IF EXISTS filings_auditchainhead_refuse_delete();
DROP TRIGGER IF EXISTS filings_auditchainhead_refuse_truncate ON filings_auditchainhead;
DROP TRIGGER IF EXISTS filings_auditevent_refuse_truncate ON filings_auditevent;
DROP FUNCTION IF EXISTS filings_audit_refuse_truncate();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # params=None: no placeholder parsing, so the "%" of RAISE is sent as it is (psycopg 3).
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("filings", "0006_sandbox_moved_out")]
    operations = [migrations.RunPython(forwards, backwards)]
