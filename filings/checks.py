"""System checks: `manage.py check` reports every Volcengine setting that blocks sending."""

from typing import Any

from django.core.checks import CheckMessage, Warning, register

from filings.volc.config import SENDING_DISABLED, credentials_problems


@register()
def volcengine_settings_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return [
        Warning(problem, hint=SENDING_DISABLED, id=f"filings.W{index:03d}")
        for index, problem in enumerate(credentials_problems(), start=1)
    ]


@register(deploy=True)
def sandbox_off_in_production_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from django.conf import settings

    if settings.VOLC_SANDBOX_ENABLED and not settings.DEBUG:
        return [
            Warning(
                "The built-in sandbox endpoint is enabled with DEBUG off.",
                hint="Unset VOLC_SANDBOX_ENABLED in production.",
                id="filings.W100",
            )
        ]
    return []
