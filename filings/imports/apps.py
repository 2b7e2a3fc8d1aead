"""App configuration of the spreadsheet import."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "filings.imports"
    label = "imports"
    verbose_name = _("Spreadsheet import")
    default_auto_field = "django.db.models.BigAutoField"
