"""Pure: blank out document URLs and ID-card file names in what people are shown. No ORM."""

import json
import re
from collections.abc import Collection
from typing import Any

URL_REDACTED = "[document URL removed]"
NAME_HIDDEN = "[hidden: ID document]"

URL_SUFFIX = "PicUrl"
FILENAME_SUFFIX = "PicFilename"
# Audit data keys that carry a file name of an uploaded document.
NAME_KEYS = frozenset({"original_name", "api_filename"})

_URL_FIELD = re.compile(r'("\w*' + URL_SUFFIX + r'"\s*:\s*)"(?:[^"\\]|\\.)*"')


def _filename_fields(hidden_kinds: Collection[str]) -> frozenset[str]:
    return frozenset(f"{kind}{FILENAME_SUFFIX}" for kind in hidden_kinds)


def redact_request_body(body: str, *, hidden_kinds: Collection[str] = ()) -> str:
    """The body with every …PicUrl value replaced, and the …PicFilename of `hidden_kinds` hidden.

    The stored body stays byte for byte what was sent (its SHA-256 proves it); this is only
    what a page or export shows. A body that is not a JSON object is still stripped of URLs.
    """
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        return _URL_FIELD.sub(lambda m: f'{m.group(1)}"{URL_REDACTED}"', body)
    hidden_names = _filename_fields(hidden_kinds)
    shown: dict[str, Any] = {}
    for key, value in payload.items():
        if key.endswith(URL_SUFFIX):
            shown[key] = URL_REDACTED
        elif key in hidden_names:
            shown[key] = NAME_HIDDEN
        else:
            shown[key] = value
    return json.dumps(shown, ensure_ascii=False, indent=2)


def redact_event_data(data: Any, *, hidden_kinds: Collection[str]) -> Any:
    """Audit event data with the file names of documents of `hidden_kinds` hidden.

    Document events name their kind in `data["kind"]` and list files with their names.
    """
    if not hidden_kinds or not isinstance(data, dict) or data.get("kind") not in hidden_kinds:
        return data
    return _hide_names(data)


def _hide_names(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: NAME_HIDDEN if key in NAME_KEYS else _hide_names(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_hide_names(item) for item in value]
    return value
