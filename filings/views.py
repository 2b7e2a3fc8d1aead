"""Views outside the admin: document images for signed-in users, signed fetch URLs, health."""

import uuid

from axes.helpers import get_client_ip_address
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.files.storage import default_storage
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from filings.content import current_links
from filings.errors import StorageUnavailable
from filings.imaging import ImagingError, thumbnail_jpeg
from filings.models import Document
from filings.personal_data import may_see_sensitive
from filings.services.access import document_fetched, document_viewed
from filings.storage import (
    STORAGE_ERRORS,
    document_uuid_from_fetch_token,
    fetch_filename,
    read_object,
    uses_filesystem,
)
from filings.workflow import DOCUMENTS_FETCHABLE_STATES

PRIVATE_CACHE = "private, max-age=300"
NO_STORE = "no-store"


def _image_response(data: bytes, content_type: str, *, sensitive: bool) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = NO_STORE if sensitive else PRIVATE_CACHE
    response["Content-Disposition"] = "inline"
    return response


def _stored_bytes(document: Document) -> bytes | HttpResponse:
    """The document's bytes, or the answer to give when they cannot be read."""
    if not document.storage_key:
        raise Http404
    try:
        return read_object(document.storage_key)
    except FileNotFoundError:
        raise Http404 from None
    except StorageUnavailable as exc:
        return HttpResponse(exc.message, status=503, content_type="text/plain; charset=utf-8")


@require_GET
@login_required
def document_image(request: HttpRequest, document_uuid: uuid.UUID) -> HttpResponse:
    """A stored image (or its thumbnail) for a user allowed to see it.

    ID images need a permission, and every display of one is recorded.
    """
    document = get_object_or_404(Document.objects.select_related("filing"), uuid=document_uuid)
    if not request.user.has_perm("filings.view_document"):
        raise Http404
    if document.is_sensitive and not may_see_sensitive(request.user):
        raise Http404
    data = _stored_bytes(document)
    if isinstance(data, HttpResponse):
        return data
    thumbnail = bool(request.GET.get("thumb"))
    content_type = document.content_type
    if thumbnail:
        try:
            data = thumbnail_jpeg(data)
        except ImagingError:
            raise Http404 from None
        content_type = "image/jpeg"
    if document.is_sensitive:
        document_viewed(actor=request.user, document=document, thumbnail=thumbnail)
    return _image_response(data, content_type, sensitive=document.is_sensitive)


@require_GET
def document_fetch(request: HttpRequest, token: str, filename: str) -> HttpResponse:
    """The expiring, signed URL Volcengine fetches when documents live on the filesystem.

    It serves a document only while a filing that sends it is being sent or was sent; every
    fetch is recorded with the caller's address, on that filing.
    """
    if not uses_filesystem():
        raise Http404
    try:
        document_uuid = document_uuid_from_fetch_token(token)
    except signing.BadSignature:
        raise Http404 from None
    # A filing that sends the document now and is being sent or was sent.
    link = (
        current_links(document__uuid=document_uuid, filing__status__in=DOCUMENTS_FETCHABLE_STATES)
        .select_related("document", "filing")
        .order_by("-filing__sending_started_at", "-filing_id")
        .first()
    )
    if link is None or filename != fetch_filename(link.document):
        raise Http404
    document = link.document
    data = _stored_bytes(document)
    if isinstance(data, HttpResponse):
        return data
    document_fetched(
        document=document,
        filing=link.filing,
        remote_addr=get_client_ip_address(request) or "",
        user_agent=request.headers.get("User-Agent", ""),
    )
    return _image_response(data, document.content_type, sensitive=True)


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
