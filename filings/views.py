"""Views outside the admin: document images for signed-in users, signed fetch URLs, health."""

import uuid

from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.files.storage import default_storage
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from filings.errors import StorageUnavailable
from filings.imaging import thumbnail_jpeg
from filings.models import Document
from filings.storage import STORAGE_ERRORS, key_from_fetch_token, read_object, uses_filesystem

CONTENT_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png"}


def _image_response(data: bytes, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=300"
    response["Content-Disposition"] = "inline"
    return response


@require_GET
@login_required
def document_image(request: HttpRequest, document_uuid: uuid.UUID) -> HttpResponse:
    """A stored image (or its thumbnail) for a user allowed to see it; ID cards need a perm."""
    document = get_object_or_404(Document, uuid=document_uuid)
    if not request.user.has_perm("filings.view_document"):
        raise Http404
    if document.is_sensitive and not request.user.has_perm("filings.view_sensitive_document"):
        raise Http404
    try:
        data = read_object(document.storage_key)
    except FileNotFoundError:
        raise Http404 from None
    except StorageUnavailable as exc:
        return HttpResponse(exc.message, status=503, content_type="text/plain; charset=utf-8")
    if request.GET.get("thumb"):
        return _image_response(thumbnail_jpeg(data), "image/jpeg")
    return _image_response(data, document.content_type)


@require_GET
def document_fetch(request: HttpRequest, token: str, filename: str) -> HttpResponseBase:
    """The expiring, signed URL Volcengine fetches when documents live on the filesystem."""
    if not uses_filesystem():
        raise Http404
    try:
        key = key_from_fetch_token(token)
    except signing.BadSignature:
        raise Http404 from None
    if key.rsplit("/", 1)[-1] != filename:
        raise Http404
    extension = filename.rsplit(".", 1)[-1].lower()
    try:
        handle = default_storage.open(key, "rb")
    except (FileNotFoundError, *STORAGE_ERRORS):
        raise Http404 from None
    response = FileResponse(
        handle, content_type=CONTENT_TYPES.get(extension, "application/octet-stream")
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Database and storage reachable? 200 when both are, 503 otherwise."""
    status = {"database": "ok", "storage": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        status["database"] = "unavailable"
    try:
        default_storage.exists("health-probe")
    except STORAGE_ERRORS:
        status["storage"] = "unavailable"
    healthy = all(value == "ok" for value in status.values())
    return JsonResponse(status, status=200 if healthy else 503)
