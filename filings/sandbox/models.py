"""How the sandbox answers (one row) and the requests whose signature it verified."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SandboxConfig(models.Model):
    """How the built-in sandbox endpoint answers (one row), so outcomes can be rehearsed."""

    class Mode(models.TextChoices):
        NORMAL = "normal", _("Verify and accept")
        RESULT_FAILURE = "result_failure", _("HTTP 200 with a business failure Result.code")
        SIGNATURE_ERROR = "signature_error", _("SignatureDoesNotMatch (401)")
        INVALID_TIMESTAMP = "invalid_timestamp", _("InvalidTimestamp (400)")
        MISSING_PARAMETER = "missing_parameter", _("MissingParameter (400)")
        INVALID_ACCESS_KEY = "invalid_access_key", _("InvalidAccessKey (401)")
        THROTTLED = "throttled", _("FlowLimitExceeded (429)")
        INTERNAL_ERROR = "internal_error", _("InternalError (500)")
        GATEWAY_TIMEOUT = "gateway_timeout", _("InternalServiceTimeout (504)")
        HTML_ERROR = "html_error", _("An HTML error page (502)")
        INVALID_JSON = "invalid_json", _("HTTP 200 with a body that is not JSON")
        STALL = "stall", _("Stall past the client's read timeout")

    mode = models.CharField(_("mode"), max_length=32, choices=Mode.choices, default=Mode.NORMAL)
    stall_seconds = models.FloatField(_("stall seconds"), default=35.0)

    class Meta:
        verbose_name = _("sandbox setting")
        verbose_name_plural = _("sandbox settings")

    def __str__(self) -> str:
        return str(self.get_mode_display())


class SandboxRequest(models.Model):
    """One signed request the sandbox received: what tests count to prove "sent exactly once"."""

    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    action = models.CharField(_("API action"), max_length=64, blank=True)
    body_sha256 = models.CharField(_("body SHA-256"), max_length=64)
    company_credit_code = models.CharField(_("credit code"), max_length=32, blank=True)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"))
    answer_code = models.CharField(_("answer code"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("sandbox request")
        verbose_name_plural = _("sandbox requests")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.received_at:%H:%M:%S} {self.http_status} {self.answer_code}"
