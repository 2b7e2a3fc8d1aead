"""URL map: the admin (at a configurable path), documents, health, language switch, sandbox."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from filings import views
from filings.volc.sandbox import sandbox_endpoint

admin.site.site_header = "火山引擎双呼企业报备 · VMS filing portal"
admin.site.site_title = "VMS filing portal"
admin.site.index_title = "报备工作台 · Workbench"

urlpatterns = [
    path(settings.PORTAL_ADMIN_PATH, admin.site.urls),
    path("documents/<uuid:document_uuid>/", views.document_image, name="document-image"),
    path("d/<str:token>/<str:filename>", views.document_fetch, name="document-fetch"),
    path("health/", views.health, name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("sandbox/vms/", sandbox_endpoint, name="volc-sandbox"),
    path("", include("filings.urls")),
]
