"""The number filing page's inline: the numbers it carries (read-only; chosen on the numbers
list)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from filings.models import Filing, FilingNumber


class FilingNumberInline(admin.TabularInline[FilingNumber, Filing]):
    model = FilingNumber
    extra = 0
    can_delete = False
    fields = ["digits", "state"]
    readonly_fields = fields  # type: ignore[assignment]
    verbose_name_plural = gettext_lazy("numbers (chosen on the company's numbers list)")

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("number")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("state now"))
    def state(self, obj: FilingNumber) -> str:
        return str(obj.number.get_state_display())
