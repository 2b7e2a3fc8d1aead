"""Only for migrations: filings/migrations/0001_initial.py names this module's validator."""

# Code imports filings.credit_code; a migration keeps the dotted path it was written with.
from filings.credit_code import credit_code_validator

__all__ = ["credit_code_validator"]
