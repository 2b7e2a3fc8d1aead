"""The portal's home: send people to the admin workbench."""

from django.conf import settings
from django.urls import path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(url="/" + settings.PORTAL_ADMIN_PATH), name="home"),
]
