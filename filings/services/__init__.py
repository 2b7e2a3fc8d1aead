"""Services: the only code that writes. One transaction and one audit event per change."""
