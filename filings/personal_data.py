"""Who may see ID-card images, their file names and URLs (one rule, read by every page)."""

from django.contrib.auth.models import AnonymousUser, User

from filings.models import Document

SENSITIVE_PERM = "filings.view_sensitive_document"


def may_see_sensitive(user: User | AnonymousUser) -> bool:
    return bool(user.is_authenticated and user.has_perm(SENSITIVE_PERM))


def hidden_kinds(user: User | AnonymousUser) -> frozenset[str]:
    """The document kinds whose images, names and URLs `user` may not see."""
    return frozenset() if may_see_sensitive(user) else Document.SENSITIVE_KINDS
