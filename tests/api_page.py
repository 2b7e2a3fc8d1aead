"""What the API page (shared/seed/Click2CallCompanyAuth-api-doc.txt) says, written out by hand.

Tests compare the portal against these lists, never against the portal's own tables.
"""

# The request-parameter table, top to bottom (Action and Version travel in the query).
API_FIELD_ORDER = [
    "companyName",
    "companyCreditCode",
    "businessLicensePicUrl",
    "businessLicensePicFilename",
    "proprietorIdcardPicUrl",
    "proprietorIdcardPicFilename",
    "operatorIdcardPicUrl",
    "operatorIdcardPicFilename",
    "operatorIdcardInhandPicUrl",
    "operatorIdcardInhandPicFilename",
    "networkaccessCommitmentletterPicUrl",
    "networkaccessCommitmentletterPicFilename",
    "numberapplicationOfficialletterPicUrl",
    "numberapplicationOfficialletterPicFilename",
    "calleeSource",
    "businessCarrier",
    "scriptList",
]
PIC_URL_FIELDS = [name for name in API_FIELD_ORDER if name.endswith("PicUrl")]
SCRIPT_ITEM_ORDER = ["scriptContent", "scriptScene"]
