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
