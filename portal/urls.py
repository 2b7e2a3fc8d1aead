"""URL map: the admin (at a configurable path), documents, health, language switch, and in
development the sandbox."""

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic.base import RedirectView

from filings import views

admin.site.site_header = _("VMS filing portal")
admin.site.site_title = _("VMS filing portal")
admin.site.index_title = _("Workbench")

urlpatterns = [
    path(settings.PORTAL_ADMIN_PATH, admin.site.urls),
    path("documents/<uuid:document_uuid>/", views.document_image, name="document-image"),
    path("d/<str:token>/<str:filename>", views.document_fetch, name="document-fetch"),
    path("health/", views.health, name="health"),
    # Browsers ask for /favicon.ico on pages that name no icon (the admin pages name one). Lazy:
    # the static name is looked up per request, once collectstatic has written its manifest.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("favicon.ico"))),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("filings.urls")),
]
# Installed only with DEBUG and VOLC_SANDBOX_ENABLED on (portal/settings.py): never in production.
if apps.is_installed("filings.sandbox"):
    urlpatterns.append(path("sandbox/", include("filings.sandbox.urls")))
