"""Click2CallNumberAuth against the sandbox over real HTTP, signed and sent by the portal client."""

import hashlib
import json
from typing import Any

import pytest
from pytest_django.live_server_helper import LiveServer

from filings.sandbox.models import SandboxConfig, SandboxRequest
from filings.volc.classify import Outcome
from filings.volc.client import SendResult, Target, send_action
from filings.volc.payload import encode_body, number_auth_payload
from filings.volc.signing import Credentials
from tests.conftest import SANDBOX_AK, SANDBOX_SK
from tests.integration.test_sandbox_http import urlpatterns as sandbox_and_pictures

NUMBER_AUTH = "Click2CallNumberAuth"
CREDIT_CODE = "91350100M000100Y43"
NUMBERS = ["13800000001", "13800000002", "057188880001"]

# For the picture test: the sandbox as portal/urls.py mounts it, plus a picture host.
urlpatterns = sandbox_and_pictures

pytestmark = pytest.mark.django_db(transaction=True)


def number_body(
    action: str = "add",
    numbers: list[str] = NUMBERS,
    letter_url: str = "https://files.example.test/n1/usage-letter.png",
) -> bytes:
    letter = (letter_url, "业务使用承诺书.png") if action != "delete" else None
    return encode_body(
        number_auth_payload(
            company_name="火山引擎测试有限公司",
            credit_code=CREDIT_CODE,
            action=action,
            numbers=numbers,
            letter=letter,
            script="您好，这里是火山商城客服，您购买的商品已发货，请注意查收。",
            scene="电商",
        )
    )


@pytest.fixture
def endpoint(sandbox: str, volc_settings: Any) -> str:
    volc_settings.VOLC_SANDBOX_FETCH_IMAGES = False
    return sandbox


def send(endpoint: str, body: bytes, secret: str = SANDBOX_SK) -> SendResult:
    return send_action(
        NUMBER_AUTH,
        body,
        target=Target(endpoint, "cn-beijing"),
        credentials=Credentials(SANDBOX_AK, secret),
        connect_timeout=2.0,
        read_timeout=5.0,
        max_response_bytes=64 * 1024,
    )


def error_of(result: SendResult) -> dict[str, Any]:
    envelope = json.loads(result.response_text)
    assert "Result" not in envelope
    error: dict[str, Any] = envelope["ResponseMetadata"]["Error"]
    return error


def test_a_signed_number_add_is_accepted_with_code_200(endpoint: str) -> None:
    body = number_body("add")
    result = send(endpoint, body)
    verdict = result.classification

    assert (result.http_status, verdict.outcome) == (200, Outcome.ACCEPTED), result.response_text
    assert (verdict.result_code, verdict.result_message) == ("200", "成功")
    envelope = json.loads(result.response_text)
    metadata = envelope["ResponseMetadata"]
    assert (metadata["Action"], metadata["Version"]) == (NUMBER_AUTH, "2022-01-01")
    assert "Error" not in metadata
    assert envelope["Result"]["requestId"] == verdict.result_request_id != ""
    logged = SandboxRequest.objects.get()
    assert (logged.action, logged.company_credit_code) == (NUMBER_AUTH, CREDIT_CODE)
    assert (logged.http_status, logged.answer_code) == (200, "200")
    assert logged.body_sha256 == hashlib.sha256(body).hexdigest()


def test_a_delete_without_letter_or_script_is_accepted(endpoint: str) -> None:
    body = number_body("delete")
    assert b"Commitmentletter" not in body
    assert b"script" not in body

    result = send(endpoint, body)

    assert result.http_status == 200, result.response_text
    assert result.classification.result_code == "200"
    assert SandboxRequest.objects.get().answer_code == "200"


def test_a_hundred_and_one_numbers_are_refused(endpoint: str) -> None:
    numbers = [f"138{index:08d}" for index in range(101)]

    result = send(endpoint, number_body("add", numbers=numbers))

    assert (result.http_status, result.classification.outcome) == (400, Outcome.REJECTED)
    error = error_of(result)
    assert error["Code"] == "InvalidParameter"
    assert error["Message"] == "The parameter aNumbers must hold at most 100 numbers, not 101."
    assert SandboxRequest.objects.get().answer_code == "InvalidParameter"


def test_a_wrong_secret_is_refused_and_writes_nothing(endpoint: str) -> None:
    result = send(endpoint, number_body(), secret="not-the-secret")

    assert result.http_status == 401
    assert error_of(result)["Code"] == "SignatureDoesNotMatch"
    assert not SandboxRequest.objects.exists()


def test_result_failure_mode_names_the_number_filing(endpoint: str) -> None:
    SandboxConfig.objects.update_or_create(pk=1, defaults={"mode": "result_failure"})

    result = send(endpoint, number_body())

    assert (result.http_status, result.classification.outcome) == (200, Outcome.REJECTED)
    assert result.classification.result_code == "1001"
    assert result.classification.result_message.startswith("号码报备校验未通过")
    logged = SandboxRequest.objects.get()
    assert (logged.action, logged.answer_code) == (NUMBER_AUTH, "1001")


@pytest.mark.parametrize(
    ("mode", "status", "code"),
    [("throttled", 429, "FlowLimitExceeded"), ("missing_parameter", 400, "MissingParameter")],
)
def test_error_modes_answer_a_number_filing_too(
    endpoint: str, mode: str, status: int, code: str
) -> None:
    SandboxConfig.objects.update_or_create(pk=1, defaults={"mode": mode})

    result = send(endpoint, number_body())

    assert result.http_status == status
    assert error_of(result)["Code"] == code
    assert json.loads(result.response_text)["ResponseMetadata"]["Action"] == NUMBER_AUTH


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("picture", "status"), [("usage-letter.png", 200), ("missing.gif", 400), ("wrong.txt", 400)]
)
def test_the_letter_is_fetched_when_asked(
    endpoint: str, live_server: LiveServer, volc_settings: Any, picture: str, status: int
) -> None:
    volc_settings.VOLC_SANDBOX_FETCH_IMAGES = True
    body = number_body("update", letter_url=f"{live_server.url}/pictures/{picture}")

    result = send(endpoint, body)

    assert result.http_status == status, result.response_text
    if status != 200:
        error = error_of(result)
        assert error["Code"] == "InvalidParameter"
        assert error["Message"].startswith("The parameter businessUsageCommitmentletterPicUrl ")
