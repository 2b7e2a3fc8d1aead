"""App configuration of the bulk actions."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BulkConfig(AppConfig):
    name = "filings.bulk"
    label = "bulk"
    verbose_name = _("Bulk actions")
    default_auto_field = "django.db.models.BigAutoField"
