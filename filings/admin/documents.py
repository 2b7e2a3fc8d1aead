"""The documents page of a filing: one slot per kind, uploads with progress, replace and remove."""

from datetime import date
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from filings import kinds
from filings.content import current_documents
from filings.errors import UNKNOWN_DOCUMENT_KIND, FilingsError
from filings.forms import DocumentUploadForm
from filings.image_checks import megabytes
from filings.kinds import Check
from filings.models import Document, Filing
from filings.personal_data import hidden_kinds
from filings.preflight import content_checks
from filings.services.decisions import open_reasons
from filings.services.documents import (
    VALID_UNTIL_NOT_A_DATE,
    Upload,
    document_remove,
    document_set_valid_until,
    document_upload,
    document_upload_sides,
)
from filings.workflow import EDITABLE_STATES, State

# At most two files come in one request (front and back of an ID card); the multipart headers
# and the small form fields fit in this allowance on top of them.
FILES_PER_REQUEST = 2
REQUEST_ALLOWANCE = 64 * 1024


def _read(upload: UploadedFile[bytes]) -> Upload:
    """The file's bytes; a file over the limit is left unread and only its real size is kept."""
    name, size, limit = upload.name or "", upload.size or 0, settings.PORTAL_MAX_UPLOAD_BYTES
    if size > limit:
        return Upload(name=name, data=b"", size=size)
    return Upload(name=name, data=upload.read(limit + 1))


def _request_too_large(request: HttpRequest) -> str | None:
    """The refusal of a request whose declared length no acceptable upload can reach.

    Decided from the Content-Length header alone, before the body is read or spooled to disk.
    """
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None  # Django then reads no body at all
    limit = settings.PORTAL_MAX_UPLOAD_BYTES
    if length <= FILES_PER_REQUEST * limit + REQUEST_ALLOWANCE:
        return None
    return _(
        "The upload is %(size)s MB, more than the limit of %(limit)s MB per image. Nothing was "
        "saved. Reduce the image's resolution or quality and upload it again."
    ) % {
        "size": megabytes(length, round_up=True),
        "limit": megabytes(limit, round_up=False),
    }


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


def _shown_name(request: HttpRequest, document: Document) -> str:
    """The document's file name, or its kind for an ID document the user may not see."""
    if document.kind in hidden_kinds(request.user):
        return str(Document.Kind(document.kind).label)
    return document.api_filename


def checklist_heading(filing: Filing, checks: list[Check]) -> str:
    """What the documents page says above its checklist, following the filing's state."""
    missing = sum(not check.ok for check in checks)
    if filing.status != State.DRAFT:
        return _("Checks")
    if missing:
        return ngettext(
            "Still missing before review: %(count)s item",
            "Still missing before review: %(count)s items",
            missing,
        ) % {"count": missing}
    return _("Nothing is missing: the filing can be submitted for review")


def state_note(filing: Filing, can_upload: bool) -> str:
    """Why the documents cannot (or should not lightly) be changed in the filing's state."""
    status = filing.get_status_display()
    if filing.status == State.APPROVED and can_upload:
        return _("This filing is approved: replacing or removing a document voids the approval.")
    if filing.status not in EDITABLE_STATES:
        return _("This filing is %(status)s: its documents cannot be changed now.") % {
            "status": status
        }
    return ""


def validity(document: Document | None, kind: str) -> dict[str, Any]:
    """What a slot says about its document's validity end date."""
    expected = kind in Document.VALIDITY_EXPECTED_KINDS
    if document is None or document.purged_at is not None:
        return {"expected": expected}
    until = document.valid_until
    today = timezone.localdate()
    return {
        "expected": expected,
        "until": until,
        "missing": expected and until is None,
        "expired": until is not None and until < today,
        "days_left": (until - today).days if until is not None else None,
    }


def _date_or_none(raw: str) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise FilingsError(str(VALID_UNTIL_NOT_A_DATE)) from None


class DocumentPages:
    """Mixed into FilingAdmin: URLs and views of the documents page."""

    admin_site: Any
    opts: Any

    def document_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/documents/", view(self.documents_view), name="filings_filing_documents"),
            path(
                "<int:pk>/documents/upload/",
                # The CSRF check reads the whole body; the view checks its length first.
                view(csrf_exempt(self.document_upload_view)),
                name="filings_filing_document_upload",
            ),
            path(
                "<int:pk>/documents/remove/",
                view(self.document_remove_view),
                name="filings_filing_document_remove",
            ),
            path(
                "<int:pk>/documents/valid-until/",
                view(self.document_valid_until_view),
                name="filings_filing_document_valid_until",
            ),
        ]

    def documents_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm("filings.view_filing"):
            raise PermissionDenied
        filing = get_object_or_404(Filing.objects.select_related("company"), pk=pk)
        present = current_documents(filing)
        hidden = hidden_kinds(request.user)
        reasons = open_reasons(filing)
        slots = [
            {
                "kind": kind,
                "label": Document.Kind(kind).label,
                "two_sided": kind in Document.TWO_SIDED_KINDS,
                "document": present.get(kind),
                "hidden": kind in hidden,
                "validity": validity(present.get(kind), kind),
                "reasons": reasons.get(kind, []),
            }
            for kind in kinds.kind_of(filing).document_kinds
        ]
        checks = content_checks(filing, present)
        can_upload = (
            request.user.has_perm("filings.change_filing") and filing.status in EDITABLE_STATES
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "filing": filing,
            "title": _("Documents of filing #%(id)s") % {"id": filing.pk},
            "slots": slots,
            "checks": checks,
            "checks_heading": checklist_heading(filing, checks),
            "state_note": state_note(filing, can_upload),
            "can_upload": can_upload,
            "max_bytes": settings.PORTAL_MAX_UPLOAD_BYTES,
            "max_mb": megabytes(settings.PORTAL_MAX_UPLOAD_BYTES, round_up=False),
            "max_megapixels": settings.PORTAL_MAX_IMAGE_PIXELS // 1_000_000,
        }
        return TemplateResponse(request, "admin/filings/filing/documents.html", context)

    def _back(self, pk: int) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:filings_filing_documents", args=[pk]))

    def document_upload_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405, headers={"Allow": "POST"})
        refusal = _request_too_large(request)
        if refusal is not None:
            get_object_or_404(Filing, pk=pk)
            return self._upload_refused(request, pk, {"__all__": [refusal]})
        return csrf_protect(self._document_upload)(request, pk)

    def _upload_refused(
        self, request: HttpRequest, pk: int, errors: dict[str, list[str]]
    ) -> HttpResponse:
        if _wants_json(request):
            return JsonResponse({"ok": False, "errors": errors}, status=400)
        for messages_ in errors.values():
            for text in messages_:
                messages.error(request, text)
        return self._back(pk)

    def _document_upload(self, request: HttpRequest, pk: int) -> HttpResponse:
        filing = get_object_or_404(Filing, pk=pk)
        form = DocumentUploadForm(request.POST, request.FILES)
        errors: dict[str, list[str]] = {}
        document = None
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["image"]:
                    document = document_upload(
                        actor=request.user,
                        filing=filing,
                        kind=data["kind"],
                        upload=_read(data["image"]),
                        valid_until=data["valid_until"],
                    )
                else:
                    document = document_upload_sides(
                        actor=request.user,
                        filing=filing,
                        kind=data["kind"],
                        front=_read(data["front"]),
                        back=_read(data["back"]),
                        valid_until=data["valid_until"],
                    )
            except ValidationError as exc:
                errors["image"] = exc.messages
            except FilingsError as exc:
                errors["__all__"] = [exc.message]
        else:
            errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        if document is None:
            return self._upload_refused(request, pk, errors)
        if _wants_json(request):
            return JsonResponse(
                {
                    "ok": True,
                    "document": {
                        "kind": document.kind,
                        "name": _shown_name(request, document),
                        "size": document.size,
                        "pixels": f"{document.width}×{document.height}",
                        "sha256": document.sha256,
                        "url": reverse("document-image", args=[document.uuid]),
                    },
                }
            )
        messages.success(
            request, _("Uploaded: %(name)s") % {"name": _shown_name(request, document)}
        )
        return self._back(pk)

    def document_remove_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405, headers={"Allow": "POST"})
        filing = get_object_or_404(Filing, pk=pk)
        kind = request.POST.get("kind", "")
        if kind not in kinds.kind_of(filing).document_kinds:
            return HttpResponse(str(UNKNOWN_DOCUMENT_KIND), status=400)
        try:
            document_remove(actor=request.user, filing=filing, kind=kind)
            messages.success(request, _("Removed."))
        except FilingsError as exc:
            messages.error(request, exc.message)
        return self._back(pk)

    def document_valid_until_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Set or correct the validity end date of a current document (empty: none)."""
        if request.method != "POST":
            return HttpResponse(status=405, headers={"Allow": "POST"})
        filing = get_object_or_404(Filing, pk=pk)
        kind = request.POST.get("kind", "")
        if kind not in kinds.kind_of(filing).document_kinds:
            return HttpResponse(str(UNKNOWN_DOCUMENT_KIND), status=400)
        try:
            document_set_valid_until(
                actor=request.user,
                filing=filing,
                kind=kind,
                valid_until=_date_or_none(request.POST.get("valid_until", "")),
            )
            messages.success(request, _("Validity end date saved."))
        except FilingsError as exc:
            messages.error(request, exc.message)
        return self._back(pk)


# The documents-to-renew page is registered with the documents page it belongs to.
from filings.admin import expiring  # noqa: E402, F401
