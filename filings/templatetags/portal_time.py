"""Times as the portal shows them: in the configured zone (TIME_ZONE), always with the offset."""

from datetime import datetime

from django import template
from django.utils import timezone

register = template.Library()


def local_time(value: datetime | None, *, seconds: bool = True) -> str:
    """`2026-11-30 13:48:05 +08:00`: the same in every language, and never ambiguous."""
    if value is None:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    text = value.isoformat(sep=" ", timespec="seconds" if seconds else "minutes")
    if value.utcoffset() is None:
        return text
    return f"{text[:-6]} {text[-6:]}"


@register.filter
def with_offset(value: datetime | None, precision: str = "seconds") -> str:
    """`{{ event.created_at|with_offset }}`, or `|with_offset:"minutes"`."""
    return local_time(value, seconds=precision != "minutes")
