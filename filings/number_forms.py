"""Forms of the numbers pages: adding numbers from a paste or a file, editing one number."""

from django import forms
from django.utils.translation import gettext_lazy as _

from filings.credit_code import normalize_credit_code
from filings.models import Company, PhoneNumber
from filings.number_files import MAX_FILE_BYTES


class NumbersAddForm(forms.Form):
    """The company, the numbers (typed, pasted, or a CSV/XLSX file) and what they are filed with."""

    credit_code = forms.CharField(
        label=_("company's credit code"), max_length=40, help_text=_("The company they belong to.")
    )
    numbers = forms.CharField(
        label=_("numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 40}),
        help_text=_(
            "One or many: separated by new lines, commas or spaces; +86 and dashes are fine. "
            "Mainland mobile numbers, or fixed lines with their area code."
        ),
    )
    file = forms.FileField(
        label=_("or a CSV or XLSX file"),
        required=False,
        help_text=_("The numbers in the first column; a header row is skipped. At most 2 MB."),
    )
    script_scene = forms.CharField(label=_("scene"), max_length=100, required=False)
    script = forms.CharField(
        label=_("script"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=_("What these numbers say when calling; numbers are filed grouped by it."),
    )

    def clean_credit_code(self) -> Company:
        code = normalize_credit_code(self.cleaned_data["credit_code"])
        company = Company.objects.filter(credit_code=code).first()
        if company is None:
            raise forms.ValidationError(
                _("No company has the credit code %(code)s: create the company first."),
                params={"code": code},
            )
        return company

    def clean_file(self) -> bytes | None:
        upload = self.cleaned_data.get("file")
        if upload is None:
            return None
        if upload.size is not None and upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file has %(size)d bytes; at most 2 MB: split it into smaller files."),
                params={"size": upload.size},
            )
        return bytes(upload.read(MAX_FILE_BYTES + 1))

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if not (data.get("numbers") or "").strip() and not data.get("file"):
            raise forms.ValidationError(_("Type or paste the numbers, or choose a file."))
        return data


class NumberForm(forms.ModelForm[PhoneNumber]):
    class Meta:
        model = PhoneNumber
        fields = ["script_scene", "script"]
        widgets = {"script": forms.Textarea(attrs={"rows": 2, "cols": 60})}
