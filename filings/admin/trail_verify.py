"""The audit list's "Verify chain" button: `verify_trail`, as `manage.py verify_audit` runs it.

A verification changes nothing, so it is not recorded (the command records nothing either). It
walks every event, so it answers a POST only, and only to those who may export the trail.
"""

from typing import Any

from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from filings.audit.anchors import verify_trail

VERIFY_PERMISSION = "filings.export_history"


def may_verify(request: HttpRequest) -> bool:
    return request.user.has_perm(VERIFY_PERMISSION)


def verify_chain_view(model_admin: ModelAdmin[Any], request: HttpRequest) -> TemplateResponse:
    """GET: what the button does. POST: verify the chain and every anchor, show the result."""
    if not may_verify(request):
        raise PermissionDenied
    context: dict[str, Any] = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("Verify the audit chain"),
        "verification": None,
    }
    if request.method == "POST":
        result = verify_trail()
        context["verification"] = result
        context["problems"] = (
            [f"#{result.chain.bad_seq}: {result.chain.reason}"] if not result.chain.ok else []
        ) + [str(problem) for problem in result.problems]
        context["verified_at"] = timezone.now()
    return TemplateResponse(request, "admin/filings/auditevent/verify.html", context)
