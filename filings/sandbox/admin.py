"""The sandbox's switch (how it answers) and the requests it received: administrators only."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from filings.admin.base import ReadOnlyAdmin
from filings.sandbox.models import SandboxConfig, SandboxRequest


@admin.register(SandboxConfig)
class SandboxConfigAdmin(admin.ModelAdmin[SandboxConfig]):
    list_display = ["mode", "stall_seconds"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser and not SandboxConfig.objects.exists()


@admin.register(SandboxRequest)
class SandboxRequestAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "action", "company_credit_code", "http_status", "answer_code"]
    list_filter = ["action"]
