"""The sandbox endpoint over real HTTP: signature checks, envelopes, modes, the request log."""

import json
import socket
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import requests
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, HttpResponseRedirect
from django.urls import path
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from filings.sandbox.models import SandboxConfig, SandboxRequest
from filings.sandbox.views import sandbox_endpoint
from tests.unit.test_sandbox_verify import BODY, QUERY, encode, sign_headers, valid_payload

AK = "AKLTintegration0001"
SK = "integration-secret-not-real"
SANDBOX_PATH = "/sandbox/vms/"

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
BIG_PNG = PNG + b"\x00" * 4096


def picture_view(request: HttpRequest, name: str) -> HttpResponse:
    """Stands in for object storage when the sandbox is asked to fetch the pictures."""
    if name.startswith("moved"):
        return HttpResponseRedirect("/pictures/businessLicensePicUrl.png")
    if name.startswith("big"):
        return HttpResponse(BIG_PNG, content_type="image/png")
    if name.endswith(".png"):
        return HttpResponse(PNG, content_type="image/png")
    if name.endswith(".txt"):
        return HttpResponse(b"plain text", content_type="text/plain")
    return HttpResponseNotFound()


# Only for the picture-fetching tests: the sandbox as portal/urls.py mounts it, plus a picture host.
urlpatterns = [
    path("sandbox/vms/", sandbox_endpoint, name="volc-sandbox"),
    path("pictures/<str:name>", picture_view),
]

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sandbox(settings: Settings, live_server: LiveServer) -> str:
    settings.VOLC_SANDBOX_ENABLED = True
    settings.VOLC_SANDBOX_ACCESSKEY = AK
    settings.VOLC_SANDBOX_SECRETKEY = SK
    settings.VOLC_SANDBOX_FETCH_IMAGES = False
    settings.VOLC_REGION = "cn-beijing"
    settings.PORTAL_PUBLIC_BASE_URL = live_server.url
    settings.AWS_S3_ENDPOINT_URL = ""
    return live_server.url + SANDBOX_PATH


def x_date_now() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def post(
    url: str,
    body: bytes = BODY,
    *,
    query: list[tuple[str, str]] = QUERY,
    timeout: float = 10,
    **sign_options: Any,
) -> requests.Response:
    """Sign like a client would (Host = host:port as requests sends it) and POST."""
    sign_options.setdefault("x_date", x_date_now())
    sign_options.setdefault("ak", AK)
    sign_options.setdefault("sk", SK)
    headers = sign_headers(
        body=body, query=query, host=urlsplit(url).netloc, path=SANDBOX_PATH, **sign_options
    )
    return requests.post(f"{url}?{urlencode(query)}", data=body, headers=headers, timeout=timeout)


def set_mode(mode: str, stall_seconds: float = 35.0) -> None:
    SandboxConfig.objects.update_or_create(
        pk=1, defaults={"mode": mode, "stall_seconds": stall_seconds}
    )


def error_of(response: requests.Response) -> dict[str, Any]:
    metadata = response.json()["ResponseMetadata"]
    assert "Result" not in response.json()
    error: dict[str, Any] = metadata["Error"]
    return error


def test_a_signed_filing_is_accepted_and_logged_once(sandbox: str) -> None:
    response = post(sandbox)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    envelope = response.json()
    metadata = envelope["ResponseMetadata"]
    assert metadata["Action"] == "Click2CallCompanyAuth"
    assert metadata["Version"] == "2022-01-01"
    assert (metadata["Service"], metadata["Region"]) == ("vms", "cn-beijing")
    assert len(metadata["RequestId"]) == 34
    assert metadata["RequestId"] == metadata["RequestId"].upper()
    assert "Error" not in metadata
    assert envelope["Result"]["code"] == "0"
    assert envelope["Result"]["message"] == "成功"
    assert envelope["Result"]["requestId"]

    logged = SandboxRequest.objects.get()
    assert logged.action == "Click2CallCompanyAuth"
    assert logged.company_credit_code == valid_payload()["companyCreditCode"]
    assert (logged.http_status, logged.answer_code) == (200, "0")
    assert len(logged.body_sha256) == 64


def test_the_configured_region_and_the_sdk_region_are_accepted(
    sandbox: str, settings: Settings
) -> None:
    settings.VOLC_REGION = "cn-shanghai"
    for region in ("cn-shanghai", "cn-north-1"):
        response = post(sandbox, region=region)
        assert response.status_code == 200, response.text
        assert response.json()["ResponseMetadata"]["Region"] == region


def test_a_disabled_sandbox_is_not_there(sandbox: str, settings: Settings) -> None:
    settings.VOLC_SANDBOX_ENABLED = False

    assert post(sandbox).status_code == 404
    assert not SandboxRequest.objects.exists()


def test_only_post_is_allowed(sandbox: str) -> None:
    response = requests.get(sandbox, timeout=10)

    assert response.status_code == 405
    assert error_of(response)["Code"] == "MethodNotAllowed"
    assert not SandboxRequest.objects.exists()  # nothing signed, nothing written


def test_a_bad_signature_is_refused_and_writes_nothing(sandbox: str) -> None:
    response = post(sandbox, sk="not-the-secret")

    assert response.status_code == 401
    error = error_of(response)
    assert (error["Code"], error["CodeN"]) == ("SignatureDoesNotMatch", 100010)
    assert SK not in response.text
    assert not SandboxRequest.objects.exists()
    assert not SandboxConfig.objects.exists()


def test_a_stale_x_date_is_invalid_timestamp(sandbox: str) -> None:
    stale = (datetime.now(UTC) - timedelta(minutes=20)).strftime("%Y%m%dT%H%M%SZ")
    response = post(sandbox, x_date=stale)

    assert response.status_code == 400
    assert error_of(response)["Code"] == "InvalidTimestamp"


def test_an_unsigned_request_is_missing_authentication_token(sandbox: str) -> None:
    response = requests.post(f"{sandbox}?{urlencode(QUERY)}", data=BODY, timeout=10)

    assert response.status_code == 401
    assert error_of(response)["Code"] == "MissingAuthenticationToken"


def test_a_body_problem_names_the_field(sandbox: str) -> None:
    payload = valid_payload()
    del payload["businessCarrier"]
    response = post(sandbox, encode(payload))

    assert response.status_code == 400
    error = error_of(response)
    assert error["Code"] == "MissingParameter"
    assert "businessCarrier" in error["Message"]
    assert SandboxRequest.objects.get().company_credit_code == payload["companyCreditCode"]


def test_a_wrong_version_is_invalid_action_or_version(sandbox: str) -> None:
    query = [("Action", "Click2CallCompanyAuth"), ("Version", "2020-01-01")]
    response = post(sandbox, query=query)

    assert response.status_code == 404
    assert error_of(response)["Code"] == "InvalidActionOrVersion"
    assert response.json()["ResponseMetadata"]["Version"] == "2020-01-01"


@pytest.mark.parametrize(
    ("mode", "status", "code", "code_n"),
    [
        (SandboxConfig.Mode.SIGNATURE_ERROR, 401, "SignatureDoesNotMatch", 100010),
        (SandboxConfig.Mode.INVALID_TIMESTAMP, 400, "InvalidTimestamp", 100006),
        (SandboxConfig.Mode.MISSING_PARAMETER, 400, "MissingParameter", 100002),
        (SandboxConfig.Mode.INVALID_ACCESS_KEY, 401, "InvalidAccessKey", 100009),
        (SandboxConfig.Mode.THROTTLED, 429, "FlowLimitExceeded", None),
        (SandboxConfig.Mode.INTERNAL_ERROR, 500, "InternalError", 100014),
        (SandboxConfig.Mode.GATEWAY_TIMEOUT, 504, "InternalServiceTimeout", 100016),
    ],
)
def test_error_modes_answer_with_their_envelope(
    sandbox: str, mode: str, status: int, code: str, code_n: int | None
) -> None:
    set_mode(mode)
    response = post(sandbox)

    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    error = error_of(response)
    assert error["Code"] == code
    assert error.get("CodeN") == code_n
    assert error["Message"]
    logged = SandboxRequest.objects.get()
    assert (logged.http_status, logged.answer_code) == (status, code)


def test_result_failure_mode_is_http_200_with_a_business_failure(sandbox: str) -> None:
    set_mode(SandboxConfig.Mode.RESULT_FAILURE)
    response = post(sandbox)

    assert response.status_code == 200
    result = response.json()["Result"]
    assert result["code"] == "1001"
    assert "沙箱" in result["message"]
    assert "Error" not in response.json()["ResponseMetadata"]
    assert SandboxRequest.objects.get().answer_code == "1001"


@pytest.mark.parametrize(
    "mode", [mode for mode in SandboxConfig.Mode if mode != SandboxConfig.Mode.NORMAL]
)
def test_forced_modes_verify_the_signature_first(sandbox: str, mode: str) -> None:
    set_mode(mode, stall_seconds=5)

    started = time.monotonic()
    response = post(sandbox, sk="not-the-secret")

    assert time.monotonic() - started < 4  # not stalled either
    assert response.status_code == 401
    assert error_of(response)["Code"] == "SignatureDoesNotMatch"
    assert not SandboxRequest.objects.exists()


def test_html_error_mode_is_a_502_html_page(sandbox: str) -> None:
    set_mode(SandboxConfig.Mode.HTML_ERROR)
    response = post(sandbox)

    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.text == "<html><body><h1>502 Bad Gateway</h1></body></html>"
    assert SandboxRequest.objects.get().http_status == 502


def test_invalid_json_mode_is_a_truncated_200(sandbox: str) -> None:
    set_mode(SandboxConfig.Mode.INVALID_JSON)
    response = post(sandbox)

    assert response.status_code == 200
    assert response.text == '{"ResponseMetadata": '
    with pytest.raises(ValueError, match="Expecting value"):
        json.loads(response.text)


def test_stall_mode_outlasts_the_read_timeout_but_the_request_arrived(sandbox: str) -> None:
    set_mode(SandboxConfig.Mode.STALL, stall_seconds=1.5)

    with pytest.raises(requests.ReadTimeout):
        post(sandbox, timeout=0.5)
    logged = SandboxRequest.objects.get()
    assert (logged.http_status, logged.answer_code) == (200, "0")
    # Let the stalled answer finish while this test still holds the database: the server thread
    # touches its connection when the request ends.
    time.sleep(1.5)


def test_stall_mode_then_answers_as_normal(sandbox: str) -> None:
    set_mode(SandboxConfig.Mode.STALL, stall_seconds=0.2)
    response = post(sandbox, sk="not-the-secret")

    assert response.status_code == 401
    assert error_of(response)["Code"] == "SignatureDoesNotMatch"


def test_each_request_is_one_row(sandbox: str) -> None:
    for _ in range(3):
        post(sandbox)

    assert SandboxRequest.objects.count() == 3


def payload_with_pictures(base: str, broken: dict[str, str] | None = None) -> dict[str, Any]:
    payload = valid_payload()
    for name in list(payload):
        if name.endswith("PicUrl"):
            payload[name] = f"{base}/pictures/{name}.png"
    payload.update(broken or {})
    return payload


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        ({}, 200),
        ({"operatorIdcardPicUrl": "/pictures/missing.gif"}, 400),
        ({"businessLicensePicUrl": "/pictures/wrong.txt"}, 400),
    ],
)
def test_fetching_pictures_when_asked(
    sandbox: str,
    live_server: LiveServer,
    settings: Settings,
    broken: dict[str, str],
    expected: int,
) -> None:
    settings.VOLC_SANDBOX_FETCH_IMAGES = True
    payload = payload_with_pictures(
        live_server.url, {k: live_server.url + v for k, v in broken.items()}
    )
    response = post(sandbox, encode(payload))

    assert response.status_code == expected, response.text
    if broken:
        error = error_of(response)
        assert error["Code"] == "InvalidParameter"
        assert next(iter(broken)) in error["Message"]


@pytest.mark.urls(__name__)
def test_a_picture_on_the_s3_endpoint_is_fetched(
    sandbox: str, live_server: LiveServer, settings: Settings
) -> None:
    settings.VOLC_SANDBOX_FETCH_IMAGES = True
    settings.PORTAL_PUBLIC_BASE_URL = "http://portal.invalid"
    settings.AWS_S3_ENDPOINT_URL = live_server.url + "/"

    response = post(sandbox, encode(payload_with_pictures(live_server.url)))

    assert response.status_code == 200, response.text


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    "foreign",
    [
        "http://127.0.0.1:{port}/pictures/x.png",
        "http://localhost:{port}/pictures/x.png",
        "https://127.0.0.1:{port}/pictures/x.png",
        "http://{portal}@127.0.0.1:{port}/pictures/x.png",
    ],
)
def test_a_picture_elsewhere_is_refused_without_connecting(
    sandbox: str, live_server: LiveServer, settings: Settings, foreign: str
) -> None:
    settings.VOLC_SANDBOX_FETCH_IMAGES = True
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.3)
        url = foreign.format(
            port=listener.getsockname()[1], portal=urlsplit(live_server.url).netloc
        )
        payload = payload_with_pictures(live_server.url, {"operatorIdcardPicUrl": url})

        response = post(sandbox, encode(payload))

        assert response.status_code == 400, response.text
        error = error_of(response)
        assert error["Code"] == "InvalidParameter"
        assert "operatorIdcardPicUrl" in error["Message"]
        with pytest.raises(TimeoutError):
            listener.accept()  # nobody ever connected


@pytest.mark.urls(__name__)
def test_a_redirect_is_not_followed(
    sandbox: str, live_server: LiveServer, settings: Settings
) -> None:
    settings.VOLC_SANDBOX_FETCH_IMAGES = True
    moved = {"networkaccessCommitmentletterPicUrl": f"{live_server.url}/pictures/moved.png"}

    response = post(sandbox, encode(payload_with_pictures(live_server.url, moved)))

    assert response.status_code == 400, response.text
    assert error_of(response)["Message"] == (
        "The parameter networkaccessCommitmentletterPicUrl could not be fetched (HTTP 302)."
    )


@pytest.mark.urls(__name__)
def test_a_picture_larger_than_the_upload_limit_is_refused(
    sandbox: str, live_server: LiveServer, settings: Settings
) -> None:
    settings.VOLC_SANDBOX_FETCH_IMAGES = True
    settings.PORTAL_MAX_UPLOAD_BYTES = 1024
    big = {"businessLicensePicUrl": f"{live_server.url}/pictures/big.png"}

    response = post(sandbox, encode(payload_with_pictures(live_server.url, big)))

    assert response.status_code == 400, response.text
    assert error_of(response)["Message"] == (
        "The parameter businessLicensePicUrl is larger than 1024 bytes."
    )
