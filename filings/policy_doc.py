"""Pure: the workflow policy rendered as Markdown (a state diagram and the table of moves).

docs/ARCHITECTURE.md holds this rendering between two markers; `manage.py render_policy`
rewrites it and a test fails when it is out of date.
"""

from django.utils import translation

from filings.workflow import TRANSITIONS, Transition

START = "<!-- policy:start (manage.py render_policy writes this block) -->"
END = "<!-- policy:end -->"


def _diagram() -> list[str]:
    lines = ["```mermaid", "stateDiagram-v2", "    [*] --> DRAFT"]
    for move in TRANSITIONS:
        lines.append(f"    {move.source.value} --> {move.target.value}: {move.action.value}")
    lines.append("```")
    return lines


def _who(move: Transition) -> str:
    if move.permission is None:
        return "the portal"
    return f"`{move.permission.removeprefix('filings.')}`"


def _table() -> list[str]:
    lines = [
        "| from | action | to | who | four-eyes | button | asks first | needs | event |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for move in TRANSITIONS:
        needs = ", ".join(sorted(need.name.lower() for need in move.needs)) or "—"
        button = str(move.label) or "—"
        if move.page:
            button += " (page)"
        lines.append(
            f"| {move.source.value} | `{move.action.value}` | {move.target.value} | "
            f"{_who(move)} | {'yes' if move.four_eyes else '—'} | {button} | "
            f"{str(move.confirm) or '—'} | {needs} | `{move.event_kind}` |"
        )
    return lines


def render() -> str:
    """The block between the markers, in English."""
    with translation.override("en"):
        return "\n".join([START, "", *_diagram(), "", *_table(), "", END])


def replace_block(document: str) -> str:
    """`document` with its policy block replaced by the current rendering."""
    head, found, rest = document.partition(START)
    if not found:
        raise ValueError("the document has no policy block marker")
    _old, found, tail = rest.partition(END)
    if not found:
        raise ValueError("the policy block is not closed")
    return head + render() + tail
