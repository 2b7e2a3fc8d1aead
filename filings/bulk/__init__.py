"""Bulk actions: one person's submit, approve or send of many filings, as a run of items that
background tasks process one by one through the services."""
