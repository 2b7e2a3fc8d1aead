"""The user's own notifications: the list (newest first, mark read), and the preferences page.

Every staff user sees their own notifications only; nobody adds, changes or deletes them here.
"""

from typing import Any

from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from filings.admin.base import as_id
from filings.notifications.forms import PreferencesForm
from filings.notifications.models import Notification
from filings.notifications.selectors import shown_to
from filings.notifications.services import (
    notifications_mark_read,
    preferences_of,
    preferences_save,
)

PER_PAGE = 50


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        mine = obj is None or obj.recipient_id == request.user.pk
        return self.has_module_permission(request) and mine

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("", view(self.changelist_view), name="notifications_notification_changelist"),
            path("read/", view(require_POST(self.read_view)), name="notifications_read"),
            path("preferences/", view(self.preferences_view), name="notifications_preferences"),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        page = Paginator(shown_to(int(request.user.pk or 0)), PER_PAGE).get_page(
            request.GET.get("p")
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("My notifications"),
            "page": page,
            "notifications": list(page.object_list),
        }
        return TemplateResponse(request, "admin/notifications/notification/list.html", context)

    def read_view(self, request: HttpRequest) -> HttpResponse:
        """POST `pk` (one or more) to mark those read, or nothing to mark all read."""
        ids = [pk for pk in map(as_id, request.POST.getlist("pk")) if pk is not None]
        marked = notifications_mark_read(user=request.user, ids=ids or None)
        messages.success(request, _("%(count)s notification(s) marked read.") % {"count": marked})
        target = reverse("admin:notifications_notification_changelist")
        page = request.POST.get("p", "")
        return HttpResponseRedirect(f"{target}?p={page}" if as_id(page) is not None else target)

    def preferences_view(self, request: HttpRequest) -> HttpResponse:
        current = preferences_of(request.user)
        data = request.POST if request.method == "POST" else None
        form = PreferencesForm(data, initial_choices=current)
        if request.method == "POST" and form.is_valid():
            preferences_save(user=request.user, choices=form.choices())
            messages.success(request, _("Your notification settings were saved."))
            return HttpResponseRedirect(reverse("admin:notifications_preferences"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Notification settings"),
            "form": form,
        }
        return TemplateResponse(
            request, "admin/notifications/notification/preferences.html", context
        )
