"""The Actions the sandbox serves, each with its body check, pictures and answers. Pure.

Adding an API to the sandbox is one entry here (and its body rules in a module of their own).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from filings.sandbox.company_rules import PIC_URL_FIELDS, check_company_auth_body
from filings.sandbox.errors import VerifyError
from filings.sandbox.number_rules import LETTER_URL_FIELD, check_number_auth_body

VERSION = "2022-01-01"
COMPANY_AUTH = "Click2CallCompanyAuth"
NUMBER_AUTH = "Click2CallNumberAuth"


@dataclass(frozen=True)
class Api:
    """How one Action is verified and answered.

    `picture_url_fields`: the URL fields whose pictures are fetched when the body has them (the
    body check has already decided which ones it must have). `success_code`: Result.code of an
    accepted call, as the API's own page shows it.
    """

    check_body: Callable[[bytes], Mapping[str, Any] | VerifyError]
    picture_url_fields: tuple[str, ...]
    success_code: str
    failure_message: str
    version: str = VERSION


APIS: Mapping[str, Api] = MappingProxyType(
    {
        COMPANY_AUTH: Api(
            check_body=check_company_auth_body,
            picture_url_fields=PIC_URL_FIELDS,
            success_code="0",
            failure_message="企业报备校验未通过：营业执照信息与企业名称不一致（沙箱模拟）",
        ),
        NUMBER_AUTH: Api(
            check_body=check_number_auth_body,
            picture_url_fields=(LETTER_URL_FIELD,),
            success_code="200",
            failure_message="号码报备校验未通过：业务使用承诺书与企业信息不一致（沙箱模拟）",
        ),
    }
)


def api_for(action: str, version: str) -> Api | None:
    """The Action's entry if this Version of it exists, else None."""
    api = APIS.get(action)
    return api if api is not None and api.version == version else None
