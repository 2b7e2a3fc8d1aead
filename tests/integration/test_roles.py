"""The role groups: the migrations leave them as filings.roles says, and `refresh_roles` puts
back whatever was changed by hand."""

import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from filings.roles import ROLES, refresh_roles

pytestmark = pytest.mark.django_db


def held(name: str) -> set[str]:
    group = Group.objects.get(name=name)
    return set(group.permissions.values_list("codename", flat=True))


@pytest.mark.parametrize("name", ROLES)
def test_the_migrations_leave_each_group_with_exactly_its_permissions(name: str) -> None:
    assert held(name) == set(ROLES[name])


def test_reviewers_and_auditors_see_document_accesses_and_preparers_do_not() -> None:
    assert "view_documentaccess" in held("Reviewer")
    assert "view_documentaccess" in held("Auditor")
    assert "view_documentaccess" not in held("Preparer")


def test_a_refresh_of_groups_as_the_table_says_changes_nothing() -> None:
    changes = refresh_roles()

    assert [change.name for change in changes] == list(ROLES)
    assert not any(change.changed for change in changes)


def test_a_refresh_restores_a_deleted_group_and_takes_back_a_permission_added_by_hand() -> None:
    Group.objects.filter(name="Auditor").delete()
    extra = Permission.objects.get(content_type__app_label="filings", codename="send_filing")
    Group.objects.get(name="Preparer").permissions.add(extra)
    Group.objects.get(name="Reviewer").permissions.remove(
        Permission.objects.get(content_type__app_label="filings", codename="review_filing")
    )

    changes = {change.name: change for change in refresh_roles()}

    assert changes["Auditor"].created
    assert changes["Preparer"].removed == ("filings.send_filing",)
    assert changes["Reviewer"].added == ("filings.review_filing",)
    for name, codenames in ROLES.items():
        assert held(name) == set(codenames)


def test_the_command_names_what_it_changed() -> None:
    Group.objects.get(name="Auditor").permissions.clear()
    out = io.StringIO()

    call_command("refresh_roles", stdout=out)
    call_command("refresh_roles", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[:3] == [
        "Preparer: unchanged",
        "Reviewer: unchanged",
        "Auditor: updated: " + ", ".join(f"+filings.{code}" for code in sorted(ROLES["Auditor"])),
    ]
    assert lines[3:] == ["Preparer: unchanged", "Reviewer: unchanged", "Auditor: unchanged"]
