"""What a browser makes of a page: what could run on it and the text a person sees, and the
check that an admin page is safe (CSP header set, no inline script, no live markup)."""

import json
from html.parser import HTMLParser
from typing import Any

Response = Any  # what the test client answers: an HttpResponse with the test attributes


class Page(HTMLParser):
    """A page as a browser parses it: what could run (event-handler attributes, javascript: URLs,
    frames, inline scripts) and the text a person sees (data and attribute values, entities
    decoded)."""

    def __init__(self, content: str) -> None:
        super().__init__(convert_charrefs=True)
        self.live: list[str] = []
        self.inline_scripts: list[str] = []
        self.texts: list[str] = []
        self.feed(content)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on"):
                self.live.append(f"<{tag} {name}={value!r}>")
            if value is not None:
                self.texts.append(value)
                if value.strip().lower().startswith("javascript:"):
                    self.live.append(f"<{tag} {name}={value!r}>")
        if tag == "script" and not dict(attrs).get("src"):
            self.inline_scripts.append(self.get_starttag_text() or tag)
        if tag in {"iframe", "object", "embed", "base"}:  # (the admin draws its icons with svg)
            self.live.append(f"<{tag}>")

    def handle_data(self, data: str) -> None:
        self.texts.append(data)

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    def shows(self, payload: str) -> bool:
        """The payload is on the page as text: literally, or inside JSON shown as text."""
        as_json = json.dumps(payload, ensure_ascii=False)[1:-1]
        return payload in self.text or as_json in self.text


def assert_safe_page(response: Response) -> Page:
    """The CSP header is set, and the page holds no inline script and no live markup."""
    assert response.status_code == 200, response.status_code
    policy = response.headers["Content-Security-Policy"]
    directives = {}
    for directive in filter(None, (part.strip() for part in policy.split(";"))):
        name, _, value = directive.partition(" ")
        directives[name] = value
    assert directives["script-src"] == "'self'", policy
    assert directives["object-src"] == "'none'", policy
    assert "frame-ancestors" in directives
    page = Page(response.content.decode())
    assert page.inline_scripts == [], page.inline_scripts
    assert page.live == [], page.live
    return page
