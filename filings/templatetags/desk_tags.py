"""`{% desk_home %}`: the home page's lists of each role the user holds (filings.desk.home)."""

from typing import Any

from django import template
from django.conf import settings

from filings.desk.home import home_sections

register = template.Library()


@register.inclusion_tag("admin/filings/desk/home.html", takes_context=True)
def desk_home(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_active or not user.is_staff:
        return {"sections": []}
    return {
        "sections": home_sections(user),
        "alert_days": settings.PORTAL_WAITING_ALERT_DAYS,
    }
