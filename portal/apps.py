"""Third-party apps as the portal shows them: Chinese names, and no admin pages of no use here.

django-axes and django-tasks-db name their apps in English only (`Axes`, `Tasks Database
Backend`); these AppConfigs give them translated names (INSTALLED_APPS names them instead of the
packages). Their models' names are marked below so makemessages keeps them in the portal's
catalogue, which Django reads before the packages' own (LOCALE_PATHS comes first).

The admin pages of both are unregistered (PortalAdminConfig): nobody but a superuser could open
them (no role grants their permissions), and they would show English no catalogue can translate:
- django-tasks-db's task results are developer diagnostics (Python task paths, arguments,
  tracebacks, labels fixed in its admin); the portal shows its background work on its own pages
  (a bulk run's progress, a notification's e-mail state).
- django-axes's records are named by English f-strings ("Access Log for … @ …"); the login
  throttle lifts itself after AXES_COOLOFF_MINUTES, and `manage.py axes_reset_username NAME`
  (or axes_reset) lifts it at once.
"""

from axes.apps import AppConfig as AxesAppConfig
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django_tasks_db.apps import TasksAppConfig


class PortalAdminConfig(AdminConfig):
    """django.contrib.admin, without the third-party admin pages named above."""

    def ready(self) -> None:
        super().ready()  # autodiscover: every app's admin module is imported
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog
        from django_tasks_db.models import DBTaskResult

        for model in (AccessAttempt, AccessFailureLog, AccessLog, DBTaskResult):
            if admin.site.is_registered(model):
                admin.site.unregister(model)


class AxesConfig(AxesAppConfig):  # type: ignore[misc]  # axes ships no type hints
    verbose_name = _("Login throttling")


class TasksDatabaseConfig(TasksAppConfig):
    verbose_name = _("Background tasks")  # type: ignore[assignment]  # Django accepts lazy text


# The models' names as the packages spell them (gettext_lazy there), for makemessages.
THIRD_PARTY_NAMES = (
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("Task Result"),
    gettext_noop("Task Results"),
)

# Django 5.2's admin strings that its own Chinese catalogue lacks (the app list's table heads).
DJANGO_ADMIN_STRINGS = (
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
)
