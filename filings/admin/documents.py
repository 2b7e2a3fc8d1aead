"""The documents page of a filing: one slot per kind, uploads with progress, replace and remove."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _

from filings.content import current_documents
from filings.errors import FilingsError
from filings.forms import DocumentUploadForm
from filings.models import Document, Filing
from filings.preflight import content_checks
from filings.services.documents import (
    Upload,
    document_remove,
    document_upload,
    document_upload_sides,
)
from filings.workflow import EDITABLE_STATES


def _read(upload: UploadedFile[bytes]) -> Upload:
    # Never read more than one byte past the limit: the validator then reports "too large".
    limit = settings.PORTAL_MAX_UPLOAD_BYTES + 1
    return Upload(name=upload.name or "", data=upload.read(limit))


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


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
                view(self.document_upload_view),
                name="filings_filing_document_upload",
            ),
            path(
                "<int:pk>/documents/remove/",
                view(self.document_remove_view),
                name="filings_filing_document_remove",
            ),
        ]

    def documents_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm("filings.view_filing"):
            raise PermissionDenied
        filing = get_object_or_404(Filing.objects.select_related("company"), pk=pk)
        present = current_documents(filing)
        may_see_sensitive = request.user.has_perm("filings.view_sensitive_document")
        slots = [
            {
                "kind": kind.value,
                "label": kind.label,
                "two_sided": kind.value in Document.TWO_SIDED_KINDS,
                "document": present.get(kind.value),
                "hidden": kind.value in Document.SENSITIVE_KINDS and not may_see_sensitive,
            }
            for kind in Document.Kind
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "filing": filing,
            "title": _("Documents of filing #%(id)s") % {"id": filing.pk},
            "slots": slots,
            "checks": content_checks(filing),
            "can_upload": request.user.has_perm("filings.change_filing")
            and filing.status in EDITABLE_STATES,
            "max_mb": settings.PORTAL_MAX_UPLOAD_BYTES // (1024 * 1024),
            "max_megapixels": settings.PORTAL_MAX_IMAGE_PIXELS // 1_000_000,
        }
        return TemplateResponse(request, "admin/filings/filing/documents.html", context)

    def _back(self, pk: int) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:filings_filing_documents", args=[pk]))

    def document_upload_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405, headers={"Allow": "POST"})
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
                    )
                else:
                    document = document_upload_sides(
                        actor=request.user,
                        filing=filing,
                        kind=data["kind"],
                        front=_read(data["front"]),
                        back=_read(data["back"]),
                    )
            except ValidationError as exc:
                errors["image"] = exc.messages
            except FilingsError as exc:
                errors["__all__"] = [exc.message]
        else:
            errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        if _wants_json(request):
            if document is None:
                return JsonResponse({"ok": False, "errors": errors}, status=400)
            return JsonResponse(
                {
                    "ok": True,
                    "document": {
                        "kind": document.kind,
                        "name": document.api_filename,
                        "size": document.size,
                        "pixels": f"{document.width}×{document.height}",
                        "sha256": document.sha256,
                        "url": reverse("document-image", args=[document.uuid]),
                    },
                }
            )
        if document is None:
            for messages_ in errors.values():
                for text in messages_:
                    messages.error(request, text)
        else:
            messages.success(request, _("Uploaded: %(name)s") % {"name": document.api_filename})
        return self._back(pk)

    def document_remove_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405, headers={"Allow": "POST"})
        filing = get_object_or_404(Filing, pk=pk)
        kind = request.POST.get("kind", "")
        if kind not in Document.Kind.values:
            return HttpResponse(_("Unknown document kind."), status=400)
        try:
            document_remove(actor=request.user, filing=filing, kind=kind)
            messages.success(request, _("Removed."))
        except FilingsError as exc:
            messages.error(request, exc.message)
        return self._back(pk)
