"""The preferences form: two boxes per kind of notice, in the portal and by e-mail."""

from typing import Any

from django import forms

from filings.notifications.rules import Notice


class PreferencesForm(forms.Form):
    def __init__(self, *args: Any, initial_choices: dict[str, tuple[bool, bool]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        for kind in Notice:
            portal, email = initial_choices.get(kind.value, (True, True))
            self.fields[f"{kind.value}-portal"] = forms.BooleanField(
                required=False, initial=portal, label=kind.label
            )
            self.fields[f"{kind.value}-email"] = forms.BooleanField(
                required=False, initial=email, label=kind.label
            )

    def rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        """(label, in-the-portal box, e-mail box) per kind, in the table's order."""
        return [
            (str(kind.label), self[f"{kind.value}-portal"], self[f"{kind.value}-email"])
            for kind in Notice
        ]

    def choices(self) -> dict[str, tuple[bool, bool]]:
        data = self.cleaned_data
        return {
            kind.value: (data[f"{kind.value}-portal"], data[f"{kind.value}-email"])
            for kind in Notice
        }
