"""Date and time formats of the portal's languages: every time shown with its UTC offset, the
same in both languages (FORMAT_MODULE_PATH)."""
