"""The import's pages under the company list: upload, the checked preview with its confirmation,
the live progress (static/filings/imports.js polls the status JSON) and the template download.
Mixed into CompanyAdmin by filings.admin.company."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from filings.admin.base import as_id, reported
from filings.imports import messages as texts
from filings.imports.archive import document_file_names
from filings.imports.models import ImportRow, ImportRun
from filings.imports.selectors import may_import, run_progress
from filings.imports.services import import_confirm, import_discard, import_resume, import_start
from filings.imports.sheet import COLUMNS
from filings.imports.sheet import MAX_FILE_BYTES as MAX_SHEET_BYTES
from filings.imports.template import template_xlsx
from filings.kinds import COMPANY_FILING
from filings.models import Company
from filings.services.documents import Upload

COMPANY_KINDS = COMPANY_FILING.document_kinds

TEMPLATE_NAME = "companies-import-template.xlsx"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportForm(forms.Form):
    sheet = forms.FileField(
        label=gettext_lazy("Spreadsheet of companies (XLSX or CSV)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    archive = forms.FileField(
        label=gettext_lazy("Documents (ZIP)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".zip"}),
        help_text=gettext_lazy("Optional when the companies' documents are already in the portal."),
    )


def accepted_names() -> list[tuple[str, str]]:
    """Each document of a company filing with the file names the ZIP convention
    (archive.document_file_names) accepts for it."""
    names: dict[str, list[str]] = {}
    for name, label in document_file_names():
        kind = name.split(".")[0].removesuffix("-front").removesuffix("-back")
        if kind in COMPANY_KINDS:
            names.setdefault(str(label), []).append(name)
    return [(label, " · ".join(files)) for label, files in names.items()]


def _upload(file: UploadedFile[bytes] | None, limit: int) -> Upload | None:
    """The uploaded file, of which at most `limit` + 1 bytes are read: import_start refuses a
    larger file by its size, so a huge upload is never held in memory whole. `limit` is the
    limit import_start applies, so no file it takes is cut short."""
    if file is None:
        return None
    return Upload(str(file.name), file.read(limit + 1), file.size)


def run_url(run: ImportRun) -> str:
    return reverse("admin:filings_company_import_run", args=[run.pk])


class ImportPages(admin.ModelAdmin[Company]):
    """The import's pages, under the company list's URLs."""

    def import_urls(self) -> list[URLPattern]:
        # A run's id is taken as any path segment and read by _run: an odd one ("abc", "²", a
        # number beyond a bigint) is a 404 there, instead of falling through to the company
        # pages' catch-all redirect.
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="filings_company_import"),
            path(
                "import/template.xlsx",
                view(self.import_template_view),
                name="filings_company_import_template",
            ),
            path(
                "import/<str:run_id>/",
                view(self.import_run_view),
                name="filings_company_import_run",
            ),
            path(
                "import/<str:run_id>/status/",
                view(self.import_status_view),
                name="filings_company_import_status",
            ),
            path(
                "import/<str:run_id>/confirm/",
                view(require_POST(self.import_confirm_view)),
                name="filings_company_import_confirm",
            ),
            path(
                "import/<str:run_id>/discard/",
                view(require_POST(self.import_discard_view)),
                name="filings_company_import_discard",
            ),
            path(
                "import/<str:run_id>/resume/",
                view(require_POST(self.import_resume_view)),
                name="filings_company_import_resume",
            ),
        ]

    def _require_import(self, request: HttpRequest) -> None:
        if not may_import(request.user):
            raise PermissionDenied

    def _run(self, request: HttpRequest, run_id: str) -> ImportRun:
        self._require_import(request)
        pk = as_id(run_id)
        if pk is None:
            raise Http404
        return get_object_or_404(ImportRun.objects.select_related("actor"), pk=pk)

    def _context(self, request: HttpRequest, title: str) -> dict[str, object]:
        return {**self.admin_site.each_context(request), "opts": self.opts, "title": title}

    def import_view(self, request: HttpRequest) -> HttpResponse:
        self._require_import(request)
        # Bound on every POST, even one without any field, so a missing file is named.
        form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
        if request.method == "POST" and form.is_valid():
            with reported(request):
                run = import_start(
                    actor=request.user,
                    sheet=_upload(form.cleaned_data["sheet"], MAX_SHEET_BYTES),
                    archive=_upload(
                        form.cleaned_data.get("archive"), settings.PORTAL_IMPORT_MAX_ARCHIVE_BYTES
                    ),
                    language=get_language(),
                )
                messages.success(request, str(texts.STARTED))
                return HttpResponseRedirect(run_url(run))
        context = {
            **self._context(request, _("Import companies from a spreadsheet")),
            "form": form,
            "columns": COLUMNS,
            "accepted_names": accepted_names(),
            "max_archive_mb": settings.PORTAL_IMPORT_MAX_ARCHIVE_BYTES >> 20,
            "keep_hours": settings.PORTAL_IMPORT_KEEP_HOURS,
            "recent": ImportRun.objects.select_related("actor")[:10],
        }
        return TemplateResponse(request, "admin/imports/start.html", context)

    def import_template_view(self, request: HttpRequest) -> HttpResponse:
        self._require_import(request)
        response = HttpResponse(template_xlsx(), content_type=XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{TEMPLATE_NAME}"'
        return response

    def import_run_view(self, request: HttpRequest, run_id: str) -> HttpResponse:
        run = self._run(request, run_id)
        rows = list(run.rows.select_related("filing").order_by("line"))
        Verdict = ImportRow.Verdict
        counts = {verdict: 0 for verdict in Verdict.values}
        for row in rows:
            counts[row.verdict] += 1
        context = {
            **self._context(
                request, _("Import #%(run)s: %(sheet)s") % {"run": run.pk, "sheet": run.sheet_name}
            ),
            "run": run,
            "rows": rows,
            "counts": counts,
            "good": counts[Verdict.NEW] + counts[Verdict.CHANGED],
            "progress": run_progress(run),
        }
        return TemplateResponse(request, "admin/imports/run.html", context)

    def import_status_view(self, request: HttpRequest, run_id: str) -> JsonResponse:
        return JsonResponse(run_progress(self._run(request, run_id)))

    def import_confirm_view(self, request: HttpRequest, run_id: str) -> HttpResponse:
        run = self._run(request, run_id)
        with reported(request):
            count = import_confirm(actor=request.user, run=run)
            messages.success(request, str(texts.CONFIRMED).format(count=count))
        return HttpResponseRedirect(run_url(run))

    def import_discard_view(self, request: HttpRequest, run_id: str) -> HttpResponse:
        run = self._run(request, run_id)
        with reported(request):
            import_discard(actor=request.user, run=run)
            messages.success(request, str(texts.DISCARDED))
            return HttpResponseRedirect(reverse("admin:filings_company_import"))
        return HttpResponseRedirect(run_url(run))

    def import_resume_view(self, request: HttpRequest, run_id: str) -> HttpResponse:
        run = self._run(request, run_id)
        with reported(request):
            if import_resume(actor=request.user, run=run):
                messages.success(request, str(texts.RESUMED))
            else:
                messages.info(request, str(texts.NOT_STALLED))
        return HttpResponseRedirect(run_url(run))
