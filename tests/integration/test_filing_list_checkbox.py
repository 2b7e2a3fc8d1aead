"""The filing list's row checkbox is Django's own, made without rendering the widget's template."""

from django.contrib import admin
from django.contrib.auth.models import User
from django.utils import translation

from filings.admin.filing import FilingAdmin
from filings.models import Filing
from filings.services import editing
from tests import builders


def test_the_row_checkbox_is_the_html_of_djangos_widget(preparer: User) -> None:
    hostile = builders.company(preparer, name="<b>\"火山\" & '示例'</b>")
    filing = editing.filing_create(
        actor=preparer, company=hostile, callee_source="网站", business_carrier="火山"
    )
    model_admin = FilingAdmin(Filing, admin.site)

    for language in ("en", "zh-hans"):
        with translation.override(language):
            ours = model_admin.action_checkbox(filing)
            djangos = admin.ModelAdmin.action_checkbox(model_admin, filing)
            assert ours == djangos
    assert "&lt;b&gt;&quot;火山&quot; &amp; &#x27;示例&#x27;&lt;/b&gt;" in ours
