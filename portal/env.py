"""Typed readers for settings that come from the environment (pure: no Django)."""

import os

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{name} must be one of {sorted(TRUE_WORDS | FALSE_WORDS)}, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, choices: tuple[str, ...]) -> str:
    """One of `choices`; the first is the default."""
    value = env_str(name) or choices[0]
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


MIN_SECRET_BYTES = 32


def production_secret_problem(name: str, value: str, development_value: str) -> str:
    """Why `value` cannot be the secret `name` with DEBUG off ("" if it can); never quotes it."""
    if not value:
        return f"{name} must be set when DEBUG is off."
    if value == development_value:
        return f"{name} is the development key: set a secret of your own when DEBUG is off."
    size = len(value.encode("utf-8"))
    if size < MIN_SECRET_BYTES:
        return (
            f"{name} must be at least {MIN_SECRET_BYTES} bytes long when DEBUG is off "
            f"(it has {size})."
        )
    return ""


SERVER_SIDE_ENCRYPTION = ("AES256", "aws:kms")


def sse_object_parameters(mode: str, kms_key_id: str) -> dict[str, str]:
    """S3 object parameters for server-side encryption of every stored object.

    `mode` is AES256 (keys managed by the store; AWS S3, MinIO and TOS take it) or aws:kms;
    `kms_key_id` names the KMS key and is allowed only with aws:kms (without one, aws:kms uses
    the account's default key). ValueError names the variable to fix.
    """
    if mode not in SERVER_SIDE_ENCRYPTION:
        raise ValueError(
            f"AWS_S3_SERVER_SIDE_ENCRYPTION must be one of {', '.join(SERVER_SIDE_ENCRYPTION)}, "
            f"not {mode!r}"
        )
    parameters = {"ServerSideEncryption": mode}
    if kms_key_id and mode != "aws:kms":
        raise ValueError("AWS_S3_SSE_KMS_KEY_ID needs AWS_S3_SERVER_SIDE_ENCRYPTION=aws:kms.")
    if kms_key_id:
        parameters["SSEKMSKeyId"] = kms_key_id
    return parameters
