"""Groups Preparer, Reviewer and Auditor with their permissions, so a fresh database has them."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW_ALL = [
    "view_company",
    "view_filing",
    "view_document",
    "view_callscript",
    "view_submission",
    "view_auditevent",
]
ROLES = {
    "Preparer": [
        *VIEW_ALL,
        "add_company",
        "change_company",
        "add_filing",
        "change_filing",
        "add_document",
        "change_document",
        "add_callscript",
        "change_callscript",
        "delete_callscript",
        "view_sensitive_document",
    ],
    "Reviewer": [*VIEW_ALL, "review_filing", "send_filing", "view_sensitive_document"],
    "Auditor": [*VIEW_ALL, "export_history"],
}


def create_roles(apps, schema_editor):
    # Permissions are normally made after migrate; make them now so the groups can hold them.
    create_permissions(global_apps.get_app_config("filings"), apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        perms = Permission.objects.filter(content_type__app_label="filings", codename__in=codenames)
        missing = set(codenames) - set(perms.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"permissions not found: {sorted(missing)}")
        group.permissions.set(perms)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("filings", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_roles, remove_roles)]
