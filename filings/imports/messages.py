"""What the import says to people: every refusal and every planned step, in one place."""

from django.utils.translation import gettext_lazy as _

# Starting an import.
NO_SHEET = _("Choose the spreadsheet of companies (XLSX or CSV) to import.")
SHEET_TOO_BIG = _(
    "The spreadsheet is larger than {limit} MB. Split the companies into several spreadsheets."
)
ARCHIVE_TOO_BIG = _(
    "The ZIP of documents is larger than {limit} MB. Split the companies into several "
    "spreadsheets, each with the ZIP of its own companies' documents, and import them one after "
    "the other."
)
STARTED = _(
    "The files were uploaded. They are being checked; nothing is imported before you confirm."
)
NOT_CHECKED = _("This import is {state}: only a checked import can be confirmed.")
NOTHING_TO_IMPORT = _(
    "No row can be imported: correct the refused rows in the spreadsheet or ZIP and upload them "
    "again."
)
CONFIRMED = _("Importing {count} rows. Follow the progress below.")
DISCARDED = _("The import was discarded and its uploaded files deleted.")
NOT_DISCARDABLE = _("This import is {state} and cannot be discarded any more.")
NOT_STALLED = _("The import is not stalled: its worker is on it, or it has finished.")
RESUMED = _("The import had stalled (its worker stopped); it continues now.")
EXPIRED = _(
    "The import was not confirmed within {hours} hours: its uploaded files were deleted. Upload "
    "them again."
)
FILES_GONE = _("The uploaded files are no longer there. Upload them again.")

NO_ROW_FOR_FILE = _("No row of the spreadsheet has credit code {code}: this file is left out.")

# A row's refusals.
CREDIT_CODE_INVALID = _("Credit code {code}: {problem}")
DUPLICATE_IN_FILE = _(
    "Credit code {code} is also on line {lines}: keep one row per company and upload again."
)
FILING_BUSY = _(
    "The company's filing #{filing} is “{state}”: an import never changes a filing in review or "
    "later. Leave this row out, or rework that filing first."
)
SERVICE_ENDED = _(
    "The company's service ended on {date}: it cannot be filed again. Leave this row out."
)
DOCUMENT_MISSING = _(
    "{document} is missing: add {path} to the ZIP (see the naming convention), or upload it on "
    "the filing page."
)
NUMBER_REFUSED = _("Number {text}: {reason}")
NUMBER_TWICE = _("Number {text} is also on line {lines}: a number belongs to one company.")

# A row's planned steps (the preview) and its outcome.
STEP_NEW_COMPANY = _("New company")
STEP_RENAME = _("Company name: {before} → {after}")
STEP_NEW_FILING = _("New company filing (draft)")
STEP_FIELDS = _("Filing #{filing}: {fields} changed")
STEP_SCRIPTS = _("Call scripts: {count} replace the current ones")
STEP_DOCUMENTS = _("Documents: {documents}")
STEP_NUMBERS = _("Numbers to add: {count}")
ROW_DONE = _("Draft filing #{filing}: {steps}")
ROW_UNCHANGED = _("Nothing to change: the portal already holds this row.")
ROW_REFUSED = _("Not imported: {reasons}")
