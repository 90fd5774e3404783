"""The form of a photo's page: where its focal point is (what every crop keeps)."""

from __future__ import annotations

from django import forms


class FocalPointForm(forms.Form):
    x = forms.FloatField(label="Across (0 = left, 1 = right)", min_value=0, max_value=1)
    y = forms.FloatField(label="Down (0 = top, 1 = bottom)", min_value=0, max_value=1)
    next = forms.CharField(required=False, widget=forms.HiddenInput)
