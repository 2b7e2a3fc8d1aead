"""The filing page's inlines: its current documents (read-only) and its call scripts."""

from typing import Any

from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from filings.forms import CallScriptForm
from filings.models import CallScript, Document, Filing, FilingDocument
from filings.personal_data import may_see_sensitive
from filings.services import editing


class DocumentLinkFormSet(BaseInlineFormSet[FilingDocument, Filing, Any]):
    @classmethod
    def get_default_prefix(cls) -> str:
        return "documents"  # the page's #documents-group, whatever the links are called


class DocumentInline(admin.TabularInline[FilingDocument, Filing]):
    """The documents the filing would send, uploaded in it or taken over from the company;
    without any, one line pointing at the documents page."""

    model = FilingDocument
    formset = DocumentLinkFormSet
    extra = 0
    can_delete = False
    fields = ["preview", "kind", "size", "pixels", "sha_prefix", "uploaded"]
    readonly_fields = fields  # type: ignore[assignment]
    verbose_name_plural = gettext_lazy("documents (upload and replace on the documents page)")
    template = "admin/filings/filing/document_inline.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[FilingDocument]:
        links = super().get_queryset(request).filter(removed_at__isnull=True)
        return links.filter(part=Document.Part.MAIN).select_related("document")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The links are read with the documents: whoever may view documents sees them.
        return request.user.has_perm("filings.view_document")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("preview"))
    def preview(self, obj: FilingDocument) -> str:
        if obj.document.is_sensitive and not self._may_see_sensitive:
            return _("hidden (ID card)")
        url = reverse("document-image", args=[obj.document.uuid])
        return format_html(
            '<a href="{}" target="_blank" rel="noopener"><img src="{}?thumb=1" alt="" '
            'class="doc-thumb"></a>',
            url,
            url,
        )

    @admin.display(description=gettext_lazy("bytes"))
    def size(self, obj: FilingDocument) -> int:
        return obj.document.size

    @admin.display(description=gettext_lazy("pixels"))
    def pixels(self, obj: FilingDocument) -> str:
        return f"{obj.document.width}×{obj.document.height}"

    @admin.display(description="SHA-256")
    def sha_prefix(self, obj: FilingDocument) -> str:
        return obj.document.sha256[:12] + "…"

    @admin.display(description=gettext_lazy("uploaded"))
    def uploaded(self, obj: FilingDocument) -> str:
        """In this filing, or taken over from an earlier filing of the company."""
        if obj.document.filing_id == obj.filing_id:
            return _("in this filing")
        return _("taken over from filing #%(id)s") % {"id": obj.document.filing_id}

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        self._may_see_sensitive = may_see_sensitive(request.user)
        return super().get_formset(request, obj, **kwargs)


class ScriptFormSet(BaseInlineFormSet[CallScript, Filing, CallScriptForm]):
    """Saves scripts through the services (one audited change each), not model.save()."""

    request: HttpRequest

    def save(self, commit: bool = True) -> list[CallScript]:
        actor = self.request.user
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        for form in self.initial_forms:
            if form in self.deleted_forms:
                editing.script_delete(actor=actor, script=form.instance)
                self.deleted_objects.append(form.instance)
            elif form.has_changed():
                data = {k: form.cleaned_data[k] for k in ("position", "scene", "content")}
                editing.script_update(actor=actor, script=form.instance, **data)
                self.changed_objects.append((form.instance, form.changed_data))
        for form in self.extra_forms:
            if form.has_changed() and form not in self.deleted_forms:
                script = editing.script_add(
                    actor=actor,
                    filing=self.instance,
                    scene=form.cleaned_data["scene"],
                    content=form.cleaned_data["content"],
                )
                self.new_objects.append(script)
        return self.new_objects


class CallScriptInline(admin.TabularInline[CallScript, Filing]):
    model = CallScript
    form = CallScriptForm
    formset = ScriptFormSet  # type: ignore[assignment]
    extra = 1

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        formset.request = request  # type: ignore[attr-defined]
        return formset


class CompanyAutocomplete(AutocompleteSelect):
    """Django's widget looks the submitted value up again to show it; a forged value that is no
    company id (e.g. "1 OR 1=1") made that query raise, so the form error became a 500."""

    def optgroups(self, name: str, value: Any, attr: Any = None) -> Any:
        usable = []
        for item in value:
            try:
                self.field.target_field.to_python(item)
            except ValidationError:
                continue
            usable.append(item)
        return super().optgroups(name, usable, attr)
