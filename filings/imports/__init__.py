"""Spreadsheet onboarding: a sheet of companies and a ZIP of their documents, checked, previewed
and confirmed row by row through the services, as background tasks."""
