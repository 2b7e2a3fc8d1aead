"""The sandbox's one address, mounted under /sandbox/ by portal/urls.py."""

from django.urls import path

from filings.sandbox.views import sandbox_endpoint

urlpatterns = [
    path("vms/", sandbox_endpoint, name="volc-sandbox"),
]
