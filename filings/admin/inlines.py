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
from filings.models import CallScript, Document, Filing
from filings.personal_data import may_see_sensitive
from filings.services import editing


class DocumentInline(admin.TabularInline[Document, Filing]):
    """The documents that would be sent; without any, one line pointing at the documents page."""

    model = Document
    extra = 0
    can_delete = False
    fields = ["preview", "kind", "size", "pixels", "sha_prefix"]
    readonly_fields = fields  # type: ignore[assignment]
    verbose_name_plural = gettext_lazy("documents (upload and replace on the documents page)")
    template = "admin/filings/filing/document_inline.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Document]:
        current = super().get_queryset(request).filter(superseded_at__isnull=True)
        return current.filter(part=Document.Part.MAIN)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("preview"))
    def preview(self, obj: Document) -> str:
        if obj.is_sensitive and not self._may_see_sensitive:
            return _("hidden (ID card)")
        url = reverse("document-image", args=[obj.uuid])
        return format_html(
            '<a href="{}" target="_blank" rel="noopener"><img src="{}?thumb=1" alt="" '
            'class="doc-thumb"></a>',
            url,
            url,
        )

    @admin.display(description=gettext_lazy("pixels"))
    def pixels(self, obj: Document) -> str:
        return f"{obj.width}×{obj.height}"

    @admin.display(description="SHA-256")
    def sha_prefix(self, obj: Document) -> str:
        return obj.sha256[:12] + "…"

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
