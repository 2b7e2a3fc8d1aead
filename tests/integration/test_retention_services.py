"""A company's end of service and legal hold: administrators only, each one audit event, and the
company page that shows the state to everyone and the forms to administrators."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from filings import errors
from filings.models import Company
from filings.services import retention
from tests.audit_rows import events_after, head, row
from tests.conftest import role
from tests.snapshots import refused, snapshot

pytestmark = pytest.mark.django_db

STATE_FIELDS = (
    "service_ended_on",
    "service_ended_by",
    "service_end_reason",
    "legal_hold",
    "legal_hold_reason",
)


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


def company_event(kind: str, actor: User, company: Company, data: dict[str, Any]) -> Any:
    return row(kind, actor, "company", company.pk, data=data)


def state(company: Company) -> dict[str, Any]:
    return dict(Company.objects.filter(pk=company.pk).values(*STATE_FIELDS).get())


TODAY = timezone.localdate


# --- the services ---------------------------------------------------------------------------


def test_ending_and_resuming_a_service_records_who_when_and_why(
    superuser: User, company: Company
) -> None:
    seq = head()
    ended_on = TODAY() - timedelta(days=3)

    retention.company_end_service(
        actor=superuser, company=company, ended_on=ended_on, reason="  contract ended  "
    )

    assert state(company) == {
        "service_ended_on": ended_on,
        "service_ended_by": superuser.pk,
        "service_end_reason": "contract ended",
        "legal_hold": False,
        "legal_hold_reason": "",
    }
    assert events_after(seq) == [
        company_event(
            "company.service_ended",
            superuser,
            company,
            {"ended_on": ended_on.isoformat(), "reason": "contract ended"},
        )
    ]

    seq = head()
    retention.company_resume_service(actor=superuser, company=company, reason="renewed")

    assert state(company) == {
        "service_ended_on": None,
        "service_ended_by": None,
        "service_end_reason": "",
        "legal_hold": False,
        "legal_hold_reason": "",
    }
    assert events_after(seq) == [
        company_event(
            "company.service_resumed",
            superuser,
            company,
            {
                "reason": "renewed",
                "ended_on": ended_on.isoformat(),
                "ended_by": superuser.pk,
                "end_reason": "contract ended",
            },
        )
    ]


def test_setting_and_releasing_a_legal_hold_records_why(superuser: User, company: Company) -> None:
    seq = head()

    retention.company_set_legal_hold(actor=superuser, company=company, reason="court order 17")

    assert state(company)["legal_hold"] is True
    assert state(company)["legal_hold_reason"] == "court order 17"
    assert events_after(seq) == [
        company_event("company.legal_hold_set", superuser, company, {"reason": "court order 17"})
    ]

    seq = head()
    retention.company_release_legal_hold(actor=superuser, company=company, reason="case closed")

    assert state(company)["legal_hold"] is False
    assert state(company)["legal_hold_reason"] == ""
    assert events_after(seq) == [
        company_event(
            "company.legal_hold_released",
            superuser,
            company,
            {"reason": "case closed", "hold_reason": "court order 17"},
        )
    ]


def end(actor: User, company: Company) -> object:
    return retention.company_end_service(
        actor=actor, company=company, ended_on=TODAY(), reason="ended"
    )


def resume(actor: User, company: Company) -> object:
    return retention.company_resume_service(actor=actor, company=company, reason="back")


def hold(actor: User, company: Company) -> object:
    return retention.company_set_legal_hold(actor=actor, company=company, reason="hold")


def release(actor: User, company: Company) -> object:
    return retention.company_release_legal_hold(actor=actor, company=company, reason="free")


SERVICES = [end, resume, hold, release]


@pytest.fixture
def everything_but_superuser(db: None) -> User:
    """Staff in every group, so every permission a role has: still not an administrator."""
    user = User.objects.create_user("allroles", password="allroles-pw-123!", is_staff=True)
    user.groups.add(role("Preparer"), role("Reviewer"), role("Auditor"))
    return user


@pytest.fixture
def inactive_superuser(db: None) -> User:
    return User.objects.create_user(
        "gone", password="gone-pw-123!", is_staff=True, is_superuser=True, is_active=False
    )


def refused_with(exc_type: type[Exception], call: Callable[[], object]) -> str:
    """`call` is refused with exactly `exc_type`, nothing changed; the message."""
    return str(refused(exc_type, call))


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.__name__)
@pytest.mark.parametrize(
    "who", ["preparer", "reviewer", "auditor", "everything_but_superuser", "inactive_superuser"]
)
def test_only_an_administrator_may(
    service: Callable[[User, Company], object],
    who: str,
    request: pytest.FixtureRequest,
    superuser: User,
    company: Company,
) -> None:
    if service in (resume, release):  # something to resume or release
        end(superuser, company)
        hold(superuser, company)
    user = request.getfixturevalue(who)

    message = refused_with(errors.NotPermitted, lambda: service(user, company))

    assert message == str(errors.SUPERUSER_ONLY)


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.__name__)
def test_a_reason_is_required(
    service: Callable[..., object], superuser: User, company: Company
) -> None:
    if service in (resume, release):
        end(superuser, company)
        hold(superuser, company)
    kwargs: dict[str, Any] = {"actor": superuser, "company": company, "reason": "  "}
    call = {
        end: lambda: retention.company_end_service(ended_on=TODAY(), **kwargs),
        resume: lambda: retention.company_resume_service(**kwargs),
        hold: lambda: retention.company_set_legal_hold(**kwargs),
        release: lambda: retention.company_release_legal_hold(**kwargs),
    }[service]

    assert refused_with(errors.FilingsError, call) == str(errors.REASON_REQUIRED)


def test_a_service_cannot_end_twice_or_in_the_future_nor_resume_unless_ended(
    superuser: User, company: Company
) -> None:
    tomorrow = TODAY() + timedelta(days=1)
    assert refused_with(
        errors.FilingsError,
        lambda: retention.company_end_service(
            actor=superuser, company=company, ended_on=tomorrow, reason="x"
        ),
    ) == str(errors.SERVICE_END_IN_FUTURE).format(date=tomorrow)
    assert refused_with(errors.FilingsError, lambda: resume(superuser, company)) == str(
        errors.SERVICE_NOT_ENDED
    )
    retention.company_end_service(
        actor=superuser, company=company, ended_on=date(2024, 5, 1), reason="x"
    )
    assert refused_with(errors.FilingsError, lambda: end(superuser, company)) == str(
        errors.SERVICE_ALREADY_ENDED
    ).format(date="2024-05-01")


def test_a_hold_cannot_be_set_twice_nor_released_unless_set(
    superuser: User, company: Company
) -> None:
    assert refused_with(errors.FilingsError, lambda: release(superuser, company)) == str(
        errors.LEGAL_HOLD_NOT_SET
    )
    hold(superuser, company)
    assert refused_with(errors.FilingsError, lambda: hold(superuser, company)) == str(
        errors.LEGAL_HOLD_ALREADY_SET
    )


# --- the company page -----------------------------------------------------------------------


def browser(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(user: User, company: Company) -> str:
    response = browser(user).get(reverse("admin:filings_company_change", args=[company.pk]))
    assert response.status_code == 200
    return str(response.content.decode())


def url(name: str, company: Company) -> str:
    return reverse(f"admin:filings_company_{name}", args=[company.pk])


def shown_messages(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


FORM_IDS = ['id="end-service"', 'id="set-legal-hold"']


def test_an_administrator_ends_the_service_and_sets_a_hold_from_the_company_page(
    superuser: User, company: Company
) -> None:
    content = page(superuser, company)
    for form in FORM_IDS:
        assert form in content
    assert "In service" in content
    client = browser(superuser)
    seq = head()

    ended = client.post(
        url("end_service", company), {"ended_on": "2024-02-29", "reason": "contract ended"}
    )
    held = client.post(url("set_legal_hold", company), {"reason": "court order 17"})

    change = reverse("admin:filings_company_change", args=[company.pk])
    assert (ended.status_code, ended["Location"]) == (302, change)
    assert (held.status_code, held["Location"]) == (302, change)
    assert shown_messages(held) == ["The service ended.", "The legal hold is set."]
    assert [e["kind"] for e in events_after(seq)] == [
        "company.service_ended",
        "company.legal_hold_set",
    ]
    assert state(company) == {
        "service_ended_on": date(2024, 2, 29),
        "service_ended_by": superuser.pk,
        "service_end_reason": "contract ended",
        "legal_hold": True,
        "legal_hold_reason": "court order 17",
    }
    content = page(superuser, company)
    assert "Ended on 2024-02-29 by root: contract ended" in content
    assert "Held: court order 17" in content
    assert 'id="resume-service"' in content
    assert 'id="release-legal-hold"' in content


def test_a_refusal_is_a_message_and_changes_nothing(superuser: User, company: Company) -> None:
    before = snapshot()

    no_reason = browser(superuser).post(url("set_legal_hold", company), {"reason": ""})
    bad_date = browser(superuser).post(
        url("end_service", company), {"ended_on": "29.02.2024", "reason": "x"}
    )
    not_held = browser(superuser).post(url("release_legal_hold", company), {"reason": "x"})

    assert shown_messages(no_reason) == [str(errors.REASON_REQUIRED)]
    assert shown_messages(bad_date) == [str(errors.SERVICE_END_DATE_INVALID)]
    assert shown_messages(not_held) == [str(errors.LEGAL_HOLD_NOT_SET)]
    assert snapshot() == before


@pytest.mark.parametrize("who", ["preparer", "auditor"])
def test_other_users_see_the_state_read_only_and_cannot_post(
    who: str, request: pytest.FixtureRequest, superuser: User, company: Company
) -> None:
    end(superuser, company)
    user = request.getfixturevalue(who)

    content = page(user, company)

    assert f'<div class="readonly">Ended on {date_format(TODAY())} by root: ended</div>' in content
    assert '<div class="readonly">None</div>' in content  # no legal hold
    for form in ['id="resume-service"', 'id="set-legal-hold"']:
        assert form not in content
    before = snapshot()
    posted = browser(user).post(url("set_legal_hold", company), {"reason": "mine"})
    assert shown_messages(posted) == [str(errors.SUPERUSER_ONLY)]
    assert snapshot() == before


def test_the_forms_answer_only_post(superuser: User, company: Company) -> None:
    response = browser(superuser).get(url("end_service", company))
    assert (response.status_code, response["Allow"]) == (405, "POST")


def test_the_add_page_has_no_retention_section(superuser: User) -> None:
    response = browser(superuser).get(reverse("admin:filings_company_add"))
    assert response.status_code == 200
    assert 'id="retention"' not in response.content.decode()
