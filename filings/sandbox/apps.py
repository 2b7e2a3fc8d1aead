"""App configuration of the development-only sandbox."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SandboxAppConfig(AppConfig):
    name = "filings.sandbox"
    label = "sandbox"
    verbose_name = _("Sandbox (development only)")
    default_auto_field = "django.db.models.BigAutoField"
