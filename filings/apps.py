"""App configuration: registers the system checks."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FilingsConfig(AppConfig):
    name = "filings"
    verbose_name = _("Filing portal")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from filings import checks  # noqa: F401  (registers the checks)
