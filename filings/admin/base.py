"""Shared admin pieces: read-only admins, and turning service errors into messages."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

from filings.errors import FilingsError


def as_id(value: str | None) -> int | None:
    """A primary key given in a query or a form: ASCII digits that fit a bigint, else None."""
    if value and value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    return None


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """History is only read here: no add, change or delete for anyone, superusers included."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class TitledPages(admin.ModelAdmin[Any]):
    """Each object's page is titled by `page_title(obj)`, not by the object's str()."""

    def page_title(self, obj: Any) -> str:
        raise NotImplementedError

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        if obj is not None:
            extra_context = {**(extra_context or {}), "subtitle": self.page_title(obj)}
        return super().change_view(request, object_id, form_url, extra_context)


@contextmanager
def reported(request: HttpRequest) -> Iterator[None]:
    """Run a service call; show FilingsError/ValidationError as an error message, not a 500."""
    try:
        yield
    except FilingsError as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
