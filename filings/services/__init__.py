"""Services: the only code that writes. Each change is one transaction with its audit events."""
