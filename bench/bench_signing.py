"""Benchmark filings.volc.signing.sign on the Click2CallCompanyAuth demo body.

Run from the repository root: `python bench/bench_signing.py`. Prints one line per figure: the
median per-call time of our signer and its ratio to a baseline timed in the same run:

* the official SDK's signer (`volcengine.auth.SignerV4.sign_only`, same input, frozen clock;
  optional: `pip install -e '.[bench]'`), target <= 0.50x;
* the floor: only the SHA-256 and HMAC-SHA256 calls a V4 signature needs, on the same bytes
  (body hash, canonical-request hash, four-step key chain, signature), made with the stdlib's
  `hashlib.sha256` and `hmac.digest`, target <= 2.00x.

The signer computes HMAC on `hashlib.sha256` itself (cheaper per call than `hmac.digest` on
OpenSSL 3), so a last, informational line also times the floor with the signer's own HMAC: that
ratio is the cost of everything in sign() that is not hashing.

Always exits 0: the figures are for reading, not a gate.
"""

from __future__ import annotations

import gc
import hashlib
import hmac
import json
import statistics
import sys
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from filings.volc.signing import Credentials, SignedRequest, _hmac_sha256, sign

CALLS = 20_000  # per subject
BATCH = 25  # calls per timed sample: short, so a context switch spoils few samples
SDK_TARGET = 0.50
FLOOR_TARGET = 2.00

HOST = "cloud-vms.volcengineapi.com"
QUERY = [("Action", "Click2CallCompanyAuth"), ("Version", "2022-01-01")]
HEADERS = {"Content-Type": "application/json; charset=UTF-8"}
NOW = datetime(2026, 1, 4, 11, 37, 22, tzinfo=UTC)
CREDENTIALS = Credentials("AKLTFAKE-bench-access-key", "FAKE/bench-only+SecretKey==NotReal0123")
REGION, SERVICE = "cn-beijing", "vms"
PAYLOAD = {
    "companyName": "火山引擎测试有限公司",
    "companyCreditCode": "91350100M000100Y43",
    "businessLicensePicUrl": "https://files.example.test/filings/a1/business-licence.jpg",
    "businessLicensePicFilename": "营业执照.jpg",
    "proprietorIdcardPicUrl": "https://files.example.test/filings/a1/proprietor-idcard.png",
    "proprietorIdcardPicFilename": "法人身份证.png",
    "operatorIdcardPicUrl": "https://files.example.test/filings/a1/operator-idcard.jpg",
    "operatorIdcardPicFilename": "管理员证件.jpg",
    "operatorIdcardInhandPicUrl": "https://files.example.test/filings/a1/operator-inhand.jpeg",
    "operatorIdcardInhandPicFilename": "管理员手持证件.jpeg",
    "networkaccessCommitmentletterPicUrl": "https://files.example.test/filings/a1/commit.png",
    "networkaccessCommitmentletterPicFilename": "入网承诺书.png",
    "numberapplicationOfficialletterPicUrl": "https://files.example.test/filings/a1/letter.jpg",
    "numberapplicationOfficialletterPicFilename": "号码申请公函.jpg",
    "calleeSource": "网站",
    "businessCarrier": "火山引擎测试有限公司",
    "scriptList": [
        {"scriptContent": "你好，我是火山快递的客服，您的包裹已到驿站。", "scriptScene": "快递"},
        {"scriptContent": "您好，您预约的维修师傅将于明天上午上门。", "scriptScene": "售后服务"},
    ],
}
BODY = json.dumps(PAYLOAD, ensure_ascii=False, separators=(",", ":")).encode()


def ours() -> SignedRequest:
    return sign(
        method="POST",
        host=HOST,
        path="/",
        query=QUERY,
        headers=HEADERS,
        body=BODY,
        credentials=CREDENTIALS,
        region=REGION,
        service=SERVICE,
        now=NOW,
    )


def floor_calls(reference: SignedRequest) -> tuple[Callable[[], object], Callable[[], object]]:
    """The hashing work alone, on the exact bytes our signer hashed: with the stdlib's
    hmac.digest (the floor), and with the signer's own HMAC. Both call their HMAC directly."""
    canonical = reference.canonical_request.encode()
    to_sign = reference.string_to_sign.encode()
    secret = CREDENTIALS.secret_access_key.encode()
    date, region, service = b"20260104", REGION.encode(), SERVICE.encode()
    sha256, digest, own = hashlib.sha256, hmac.digest, _hmac_sha256

    def stdlib() -> object:
        sha256(BODY).hexdigest()
        sha256(canonical).hexdigest()
        key = digest(secret, date, "sha256")
        key = digest(key, region, "sha256")
        key = digest(key, service, "sha256")
        key = digest(key, b"request", "sha256")
        return digest(key, to_sign, "sha256").hex()

    def own_hmac() -> object:
        sha256(BODY).hexdigest()
        sha256(canonical).hexdigest()
        key = own(secret, date)
        key = own(key, region)
        key = own(key, service)
        key = own(key, b"request")
        return own(key, to_sign).hex()

    assert stdlib() == own_hmac() == reference.signature
    return stdlib, own_hmac


def sdk_call() -> tuple[Callable[[], Any], str] | None:
    """The SDK's signer on the same input, or None when it is not installed."""
    try:
        from volcengine.auth.SignerV4 import SignerV4
        from volcengine.auth.SignParam import SignParam
        from volcengine.Credentials import Credentials as SdkCredentials
    except ImportError:
        return None
    from importlib.metadata import version

    credentials = SdkCredentials(
        CREDENTIALS.access_key_id, CREDENTIALS.secret_access_key, SERVICE, REGION
    )
    sdk_headers = OrderedDict(Host=HOST, **HEADERS)
    param = SignParam()
    param.method, param.host, param.path, param.body, param.date = "POST", HOST, "/", BODY, NOW
    param.query = OrderedDict(QUERY)

    def call() -> Any:
        # The SDK writes X-Date and X-Content-Sha256 into the headers it is given: fresh ones
        # each call (the query is only read).
        param.header_list = OrderedDict(sdk_headers)
        return SignerV4.sign_only(param, credentials)

    return call, f"volcengine {version('volcengine')}"


def medians(subjects: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Median seconds per call; subjects take turns batch by batch so load hits all alike."""
    samples: dict[str, list[float]] = {name: [] for name in subjects}
    for fn in subjects.values():  # warm-up
        for _ in range(BATCH):
            fn()
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        order = list(subjects.items())
        for _ in range(CALLS // BATCH):
            order.append(order.pop(0))  # rotate, so no subject always runs right after another
            for name, fn in order:
                start = time.perf_counter()
                for _ in range(BATCH):
                    fn()
                samples[name].append((time.perf_counter() - start) / BATCH)
    finally:
        if gc_was_enabled:
            gc.enable()
    return {name: statistics.median(values) for name, values in samples.items()}


def line(ours_s: float, label: str, base_s: float, target: float) -> str:
    ratio = ours_s / base_s
    verdict = "OK" if ratio <= target else "MISSED"
    return (
        f"sign_company_auth  median {ours_s * 1e6:.1f}us  vs {label} {base_s * 1e6:.1f}us  "
        f"ratio {ratio:.2f}x  target <={target:.2f}x  {verdict}"
    )


def main() -> None:
    reference = ours()
    floor, floor_own_hmac = floor_calls(reference)
    subjects = {"ours": ours, "floor": floor, "floor_own_hmac": floor_own_hmac}
    sdk = sdk_call()
    if sdk is not None:
        sdk_fn, sdk_name = sdk
        if sdk_fn().authorization != reference.headers["Authorization"]:
            print(f"WARNING: {sdk_name} and our signer disagree on the benchmark input")
        subjects["sdk"] = sdk_fn
    print(
        f"python {sys.version.split()[0]}, body {len(BODY)} bytes, "
        f"{CALLS} calls per subject, median of {CALLS // BATCH} batches of {BATCH}"
    )
    times = medians(subjects)
    if sdk is None:
        print(
            "sign_company_auth  vs sdk  skipped: volcengine is not installed "
            "(pip install -e '.[bench]')"
        )
    else:
        print(line(times["ours"], "sdk", times["sdk"], SDK_TARGET) + f"  ({sdk[1]})")
    print(line(times["ours"], "floor", times["floor"], FLOOR_TARGET))
    print(
        f"sign_company_auth  median {times['ours'] * 1e6:.1f}us  vs floor with the signer's "
        f"own HMAC {times['floor_own_hmac'] * 1e6:.1f}us  "
        f"ratio {times['ours'] / times['floor_own_hmac']:.2f}x  (info, no target)"
    )


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:  # a benchmark reports, it does not fail the caller
        print(f"bench_signing failed: {exc!r}")
    sys.exit(0)
