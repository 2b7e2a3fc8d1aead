"""Demo data for `make run` (development only): users, companies, a filing in each state and
numbers in each state.

Everything is made through the services, so the demo's audit trail is real. Outcomes of sends
come from really sending to the built-in sandbox, served on a loopback port for the duration;
without the sandbox app (DEBUG and VOLC_SANDBOX_ENABLED on) the sent filings are left out.
"""

import dataclasses
import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.core.handlers.wsgi import WSGIHandler
from django.utils import timezone
from PIL import Image, ImageDraw

from filings import kinds
from filings.models import Company, Decision, Document, Filing, PhoneNumber
from filings.services import decisions, editing, numbers, review, sending
from filings.services.documents import Upload, document_upload, document_upload_sides
from filings.volc.client import Target
from filings.volc.signing import Credentials

USERS = {
    # username: (group, superuser)
    "preparer": ("Preparer", False),
    "reviewer": ("Reviewer", False),
    "reviewer2": ("Reviewer", False),
    "auditor": ("Auditor", False),
    "admin": (None, True),
}
COMPANIES = [
    ("福州火山示例科技有限公司", "91350100M000100Y43"),
    ("北京示例通信服务有限公司", "91110000600037341L"),
    ("上海示例数据服务有限公司", "91310115MA1K3BTP2B"),
]
SCRIPTS = [
    ("快递", "您好，这里是示例快递，您的包裹已到达驿站，请问何时方便取件？"),
    ("售后", "您好，您在我司购买的商品已发货，如有问题请随时联系客服。"),
]
# A-numbers of the demo: (numbers, scene, script); all fabricated.
NUMBER_GROUPS = [
    (
        ["13800138001", "13800138002", "13800138003", "13800138004", "057188886661"],
        "快递",
        "您好，这里是示例快递，您的包裹已到达驿站。",
    ),
    (["13900139001", "13900139002", "13900139003"], "售后", "您好，您购买的商品已发货。"),
    (
        ["18600186001", "18600186002", "01088886662"],
        "快递",
        "您好，这里是示例快递，您的包裹已到达驿站。",
    ),
]
PASSWORD_SUFFIX = "-demo-2026"  # noqa: S105  # nosec B105  (demo-only passwords, documented in README)


def demo_password(username: str) -> str:
    return f"{username}{PASSWORD_SUFFIX}"


def demo_image(title: str, *, size: tuple[int, int] = (1200, 800), color: str = "#e8f0fe") -> bytes:
    image = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(image)
    draw.rectangle([20, 20, size[0] - 20, size[1] - 20], outline="#1a237e", width=6)
    draw.text((60, 60), f"DEMO ONLY - {title}", fill="#1a237e")
    for row in range(6):
        y = 160 + row * 90
        draw.rectangle([60, y, size[0] - 60, y + 40], fill="#c5cae9")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def ensure_users() -> dict[str, User]:
    users: dict[str, User] = {}
    model = get_user_model()
    for username, (group, superuser) in USERS.items():
        user = model.objects.filter(username=username).first()
        if user is None:
            user = model(username=username, is_staff=True, is_superuser=superuser)
            user.set_password(demo_password(username))
            user.save()
            if group:
                user.groups.add(Group.objects.get(name=group))
        users[username] = user
    return users


def complete_filing(preparer: User, company: Company, note: str) -> Filing:
    filing = editing.filing_create(
        actor=preparer,
        company=company,
        callee_source="网站、公众号（用户主动留资）",
        business_carrier=company.name,
    )
    for scene, content in SCRIPTS:
        editing.script_add(actor=preparer, filing=filing, scene=scene, content=content)
    for kind in kinds.kind_of(filing).document_kinds:
        if kind in Document.TWO_SIDED_KINDS:
            document_upload_sides(
                actor=preparer,
                filing=filing,
                kind=kind,
                front=Upload("front.jpg", demo_image(f"{kind} FRONT {note}", size=(856, 540))),
                back=Upload("back.jpg", demo_image(f"{kind} BACK {note}", size=(856, 540))),
            )
        else:
            document_upload(
                actor=preparer,
                filing=filing,
                kind=kind,
                upload=Upload(f"{kind}.jpg", demo_image(f"{kind} {note}")),
            )
    return filing


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def sandbox_server() -> Iterator[str]:
    """Serve this project on a free loopback port; yield its sandbox endpoint URL."""
    server: WSGIServer = make_server("127.0.0.1", 0, WSGIHandler(), handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/sandbox/vms/"
    finally:
        server.shutdown()
        server.server_close()


def seed() -> list[str]:
    """Create what is missing; returns lines describing what was made."""
    users = ensure_users()
    preparer, reviewer, reviewer2 = users["preparer"], users["reviewer"], users["reviewer2"]
    made = []
    companies = []
    for name, code in COMPANIES:
        company = Company.objects.filter(credit_code=code).first()
        if company is None:
            company = editing.company_create(actor=preparer, name=name, credit_code=code)
            made.append(f"company {code}")
        companies.append(company)
    if Filing.objects.filter(company__in=companies).exists():
        return made
    first, second, third = companies

    draft = complete_filing(preparer, first, "draft")
    in_review = complete_filing(preparer, second, "review")
    review.filing_submit(actor=preparer, filing=in_review)

    ready = complete_filing(preparer, first, "approved")
    review.filing_submit(actor=preparer, filing=ready)
    review.filing_approve(actor=reviewer, filing=ready)

    made.append(
        f"filings: #{draft.pk} DRAFT, #{in_review.pk} IN_REVIEW, #{ready.pk} APPROVED (send it)"
    )
    if apps.is_installed("filings.sandbox"):
        made.append(_send_to_the_sandbox(preparer, reviewer2, first, second, third))
    else:
        made.append("no sent filings: the sandbox needs DEBUG=true and VOLC_SANDBOX_ENABLED=true")
    return made


def _send_to_the_sandbox(
    preparer: User, reviewer: User, first: Company, second: Company, third: Company
) -> str:
    """One filing sent in each of three sandbox modes; returns what became of them."""
    from filings.sandbox.models import SandboxConfig  # development only: never at import time

    outcomes: list[str] = []
    states = ""
    with sandbox_server() as endpoint:
        # The demo's own sandbox, signed with the sandbox's keys; a short wait for "stall".
        destination = dataclasses.replace(
            sending.Destination.configured(),
            target=Target(endpoint=endpoint, region=settings.VOLC_REGION),
            credentials=Credentials(
                settings.VOLC_SANDBOX_ACCESSKEY, settings.VOLC_SANDBOX_SECRETKEY
            ),
            read_timeout=0.5,
        )
        # (sandbox mode, company, Volcengine's later decision); "stall" last, as it keeps the
        # one-threaded server busy after the portal stopped waiting.
        plan = (
            ("normal", second, Decision.Outcome.FILED),
            ("normal", first, Decision.Outcome.DECLINED),
            ("normal", third, None),
            ("result_failure", first, None),
            ("stall", first, None),
        )
        for mode, company, decision in plan:
            filing = complete_filing(preparer, company, mode)
            review.filing_submit(actor=preparer, filing=filing)
            review.filing_approve(actor=reviewer, filing=filing)
            SandboxConfig.objects.update_or_create(
                pk=1, defaults={"mode": mode, "stall_seconds": 2}
            )
            sending.filing_send(actor=reviewer, filing=filing, destination=destination)
            if decision is not None:
                _decide(reviewer, filing, decision)
            filing.refresh_from_db()
            outcomes.append(f"{mode}→{filing.status}")
            if decision == Decision.Outcome.FILED:  # the company is filed: now its numbers
                states = _numbers_in_each_state(preparer, reviewer, company, destination)
    SandboxConfig.objects.update_or_create(pk=1, defaults={"mode": "normal", "stall_seconds": 35.0})
    return f"sent: {', '.join(outcomes)}; numbers: {states}"


def _decide(
    reviewer: User, filing: Filing, outcome: str, failed: dict[str, str] | None = None
) -> None:
    """Volcengine's decision as a reviewer records it; a decline names two reasons."""
    reasons = []
    if outcome == Decision.Outcome.DECLINED:
        reasons = [
            (f"{Document.Kind.BUSINESS_LICENSE}.blurred", "营业执照右下角反光，无法辨认注册号"),
            ("scripts.mismatch", "话术“快递”与经营范围不符"),
        ]
    decisions.filing_record_decision(
        actor=reviewer,
        filing=filing,
        outcome=outcome,
        decided_on=timezone.localdate(),
        evidence=f"演示：火山引擎工单 DEMO-{filing.pk} 的答复",
        reasons=reasons,
        failed_numbers=failed,
    )


def _numbers_in_each_state(
    preparer: User, reviewer: User, company: Company, destination: sending.Destination
) -> str:
    """Numbers of `company` (its company filing submitted) in every state, through real sends:
    an add decided (live and failed), an add waiting (pending), a delete (delisted), and drafts,
    one draft number filing among them."""
    for group, scene, script in NUMBER_GROUPS:
        numbers.numbers_add(
            actor=preparer,
            company=company,
            items=list(enumerate(group, start=1)),
            script_scene=scene,
            script=script,
        )

    def file(digits: list[str], action: str) -> Filing:
        ids = PhoneNumber.objects.filter(company=company, digits__in=digits).values_list("pk")
        (filing,) = numbers.numbers_file(
            actor=preparer, numbers=[pk for (pk,) in ids], action=action
        ).filings
        if action != Filing.NumberAction.DELETE:
            document_upload(
                actor=preparer,
                filing=filing,
                kind=Document.Kind.BUSINESS_USAGE_LETTER,
                upload=Upload("letter.jpg", demo_image(f"business usage letter {action}")),
            )
        return filing

    def send(filing: Filing) -> None:
        review.filing_submit(actor=preparer, filing=filing)
        review.filing_approve(actor=reviewer, filing=filing)
        sending.filing_send(actor=reviewer, filing=filing, destination=destination)

    first, second, third = NUMBER_GROUPS
    decided = file(first[0][:4], Filing.NumberAction.ADD)
    send(decided)
    _decide(
        reviewer,
        decided,
        Decision.Outcome.FILED,
        failed={first[0][3]: "号码实名信息与企业不一致（演示）"},
    )
    send(file(second[0][:2], Filing.NumberAction.ADD))
    send(file(first[0][:1], Filing.NumberAction.DELETE))
    file(third[0], Filing.NumberAction.ADD)  # a draft number filing, ready to submit
    counts = {
        state.label: PhoneNumber.objects.filter(company=company, state=state).count()
        for state in PhoneNumber.State
    }
    return ", ".join(f"{count} {label}" for label, count in counts.items())
