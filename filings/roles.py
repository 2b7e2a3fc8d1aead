"""The portal's roles: the groups Preparer, Reviewer and Auditor and exactly the permissions each
holds. `refresh_roles` makes the database match this table; it runs from a migration (with the
historical apps registry) and from `manage.py refresh_roles`.
"""

from dataclasses import dataclass

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, transaction

VIEW_ALL = (
    "view_company",
    "view_filing",
    "view_document",
    "view_callscript",
    "view_submission",
    "view_auditevent",
    "view_phonenumber",
    "view_filingnumber",
    "view_decision",
    "view_decisionreason",
)

# Codenames of permissions of the `filings` app.
ROLES: dict[str, tuple[str, ...]] = {
    "Preparer": (
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
        "add_phonenumber",
        "change_phonenumber",
        "view_sensitive_document",
    ),
    "Reviewer": (
        *VIEW_ALL,
        "view_documentaccess",
        "review_filing",
        "send_filing",
        "view_sensitive_document",
    ),
    "Auditor": (*VIEW_ALL, "view_documentaccess", "export_history"),
}


@dataclass(frozen=True)
class RoleChange:
    """What one refresh did to one group."""

    name: str
    created: bool
    added: tuple[str, ...]
    removed: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return self.created or bool(self.added or self.removed)


def refresh_roles(
    apps: Apps = global_apps, using: str = DEFAULT_DB_ALIAS, skip_missing: bool = False
) -> list[RoleChange]:
    """Create or update each group of ROLES so that it holds exactly its permissions.

    Idempotent. A permission that does not exist raises ImproperlyConfigured, unless
    `skip_missing` is set: a migration sets it, since its historical models may predate a
    permission that the table names today.
    """
    # Permissions are normally made after migrate; make them now so the groups can hold them.
    create_permissions(global_apps.get_app_config("filings"), verbosity=0, using=using, apps=apps)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    changes = []
    with transaction.atomic(using=using):
        for name, codenames in ROLES.items():
            wanted = permission_model.objects.using(using).filter(
                content_type__app_label="filings", codename__in=codenames
            )
            missing = set(codenames) - set(wanted.values_list("codename", flat=True))
            if missing and not skip_missing:
                raise ImproperlyConfigured(f"{name}: permissions not found: {sorted(missing)}")
            group, created = group_model.objects.using(using).get_or_create(name=name)
            held = set(group.permissions.values_list("content_type__app_label", "codename"))
            target = {("filings", code) for code in wanted.values_list("codename", flat=True)}
            group.permissions.set(wanted)
            changes.append(
                RoleChange(
                    name=name,
                    created=created,
                    added=tuple(sorted(f"{app}.{code}" for app, code in target - held)),
                    removed=tuple(sorted(f"{app}.{code}" for app, code in held - target)),
                )
            )
    return changes
