"""Forms: parse and validate what people type; the services do the writing."""

from collections.abc import Iterable
from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from filings.credit_code import normalize_credit_code
from filings.errors import FilingsError
from filings.models import CallScript, Company, Document, Filing
from filings.services.documents import checked_valid_until
from filings.workflow import Input


class CompanyForm(forms.ModelForm[Company]):
    class Meta:
        model = Company
        fields = ["name", "credit_code"]

    def clean_credit_code(self) -> str:
        return normalize_credit_code(self.cleaned_data["credit_code"])


class FilingForm(forms.ModelForm[Filing]):
    class Meta:
        model = Filing
        fields = ["company", "callee_source", "business_carrier"]


class CallScriptForm(forms.ModelForm[CallScript]):
    """A script row. A new row takes the next position (the service numbers it), so its
    position box is shown empty, marked "automatic", and not read."""

    class Meta:
        model = CallScript
        fields = ["position", "scene", "content"]
        widgets = {"content": forms.Textarea(attrs={"rows": 2, "cols": 60})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            position = self.fields["position"]
            position.required = False
            position.disabled = True
            position.widget.attrs.update(placeholder=_("auto"), title=_("Numbered automatically"))


class DocumentUploadForm(forms.Form):
    """One document slot: either one image, or (for ID cards) front and back to be composed."""

    kind = forms.ChoiceField(choices=Document.Kind.choices)
    # Empty files pass here so the validator reports them with the document's name.
    image = forms.FileField(label=_("Image"), required=False, allow_empty_file=True)
    front = forms.FileField(label=_("Front side"), required=False, allow_empty_file=True)
    back = forms.FileField(label=_("Back side"), required=False, allow_empty_file=True)
    valid_until = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The last day the document is valid, if it has one."),
    )

    def clean_valid_until(self) -> date | None:
        # The service's own check, so the refusal is shown next to the date field.
        try:
            return checked_valid_until(self.cleaned_data.get("valid_until"))
        except FilingsError as exc:
            raise forms.ValidationError(exc.message) from exc

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        image, front, back = data.get("image"), data.get("front"), data.get("back")
        two_sided = data.get("kind") in Document.TWO_SIDED_KINDS
        if image and (front or back):
            raise forms.ValidationError(
                _("Upload either one image showing both sides, or front and back — not both.")
            )
        if not image and not (front or back):
            raise forms.ValidationError(_("Choose an image to upload."), code="required")
        if (front or back) and not two_sided:
            raise forms.ValidationError(_("Only ID cards are uploaded as front and back."))
        if (front or back) and not (front and back):
            missing = "back" if front else "front"
            self.add_error(missing, _("Upload the other side too: both are needed."))
        return data


class MoveForm(forms.Form):
    """What a person gives with a workflow move: the fields its row of the policy asks for."""

    FIELDS = {
        Input.COMMENT: lambda: forms.CharField(
            label=_("What must change"),
            widget=forms.Textarea(attrs={"rows": 3}),
            max_length=2000,
            required=False,  # the service says why an empty comment is refused
        ),
        Input.EVIDENCE: lambda: forms.CharField(
            label=_("Evidence (e.g. the support ticket's answer)"),
            widget=forms.Textarea(attrs={"rows": 3}),
            max_length=4000,
            required=False,
        ),
        Input.JUSTIFICATION: lambda: forms.CharField(
            label=_("Justification (only for a rework within the cooldown after a decline)"),
            widget=forms.Textarea(attrs={"rows": 2}),
            max_length=2000,
            required=False,  # the service says when it is needed
        ),
        # Missing, it matches no content: the approval is refused as content changed.
        Input.SEEN_HASH: lambda: forms.CharField(
            widget=forms.HiddenInput, max_length=64, required=False
        ),
    }

    def __init__(self, needs: Iterable[Input], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in sorted(needs):
            self.fields[name.value] = self.FIELDS[name]()
