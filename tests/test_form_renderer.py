"""core.form_renderer writes the same HTML as Django's own widget templates."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.forms.widgets import ChoiceWidget
from django.utils.safestring import mark_safe

from core.form_renderer import FormRenderer

HOSTILE = "<script>alert(\"x\")</script> & 'quotes'"

CHOICES = [("", "—"), ("a", "Plain"), ("b&c", HOSTILE), (3, "A number")]
GROUPED = [("Group <one>", [("g1", "First"), ("g2", HOSTILE)]), ("solo", "Alone")]


class OddOptions(forms.Select):
    # An option template not written in Python: rendered from its file.
    option_template_name = "django/forms/widgets/attrs.html"


class Everything(forms.Form):
    text = forms.CharField(widget=forms.TextInput(attrs={"placeholder": HOSTILE}))
    search = forms.CharField(widget=forms.TextInput(attrs={"type": "search", "autofocus": True}))
    number = forms.IntegerField()
    email = forms.EmailField(required=False)
    url = forms.URLField(required=False)
    password = forms.CharField(widget=forms.PasswordInput(render_value=True))
    hidden = forms.CharField(widget=forms.HiddenInput)
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}))
    when = forms.DateTimeField()
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "disabled": False}))
    empty_body = forms.CharField(widget=forms.Textarea, required=False)
    agree = forms.BooleanField()
    pick = forms.ChoiceField(choices=CHOICES)
    grouped = forms.ChoiceField(choices=GROUPED)
    several = forms.MultipleChoiceField(choices=CHOICES)
    boxes = forms.MultipleChoiceField(
        choices=CHOICES, widget=forms.CheckboxSelectMultiple(attrs={"class": "chips"})
    )
    grouped_boxes = forms.MultipleChoiceField(choices=GROUPED, widget=forms.CheckboxSelectMultiple)
    radio = forms.ChoiceField(choices=CHOICES, widget=forms.RadioSelect)
    odd = forms.ChoiceField(choices=CHOICES, widget=OddOptions, required=False)
    upload = forms.FileField(required=False)


BOUND: dict[str, Any] = {
    "text": HOSTILE,
    "search": "",
    "number": "not a number",
    "email": "no-at-sign",
    "password": HOSTILE,
    "hidden": HOSTILE,
    "date": "2027-03-14",
    "time": "02:30",
    "when": "2027-03-14 02:30",
    "body": f"line one\n{HOSTILE}",
    "agree": "on",
    "pick": "b&c",
    "grouped": "g2",
    "several": ["a", "3"],
    "boxes": ["b&c"],
    "grouped_boxes": ["g1", "solo"],
    "radio": "3",
}


def html_both_ways(form_class: type[forms.Form], **kwargs: Any) -> list[tuple[str, str, str]]:
    """Each field's widget, label-less, and its errors: (name, Django's HTML, ours)."""
    rendered = []
    for renderer in (DjangoTemplates(), FormRenderer()):
        form = form_class(renderer=renderer, **kwargs)
        form.is_valid()
        rendered.append(
            [
                *(
                    (
                        name,
                        str(form[name]),
                        str(form[name].errors),
                        "".join(choice.tag() for choice in form[name])
                        if isinstance(form.fields[name].widget, ChoiceWidget)
                        else "",
                    )
                    for name in form.fields
                ),
                ("__all__", str(form.non_field_errors()), "", ""),
            ]
        )
    theirs, ours = rendered
    return [(a[0], "|".join(a[1:]), "|".join(b[1:])) for a, b in zip(theirs, ours, strict=True)]


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({}, id="unbound"),
        pytest.param({"data": BOUND}, id="bound with errors"),
        pytest.param({"initial": {"text": mark_safe("<b>safe</b>"), "pick": 3}}, id="initial"),
    ],
)
def test_every_widget_renders_as_djangos_templates_do(kwargs: dict[str, Any]) -> None:
    for name, theirs, ours in html_both_ways(Everything, **kwargs):
        assert ours == theirs, name


def test_hostile_values_are_escaped() -> None:
    form = Everything(data=BOUND, renderer=FormRenderer())
    page = "".join(str(form[name]) for name in form.fields)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;quotes&#x27;" in page


def test_a_form_with_errors_names_each_list_after_its_field() -> None:
    form = Everything(data={}, renderer=FormRenderer())
    assert not form.is_valid()
    assert str(form["text"].errors) == (
        '<ul class="errorlist" id="id_text_error"><li>This field is required.</li></ul>'
    )
    assert str(form["email"].errors) == ""


def test_the_product_renders_its_forms_with_it(settings: Any) -> None:
    assert settings.FORM_RENDERER == "core.form_renderer.FormRenderer"
    assert isinstance(forms.Form().renderer, FormRenderer)


@pytest.mark.django_db
def test_choices_from_the_database_render_as_djangos_templates_do() -> None:
    from practices.models import Practice
    from tests import factories

    factories.make_practice(f"Clinic {HOSTILE}")
    factories.make_practice("Lakeside")

    class Rows(forms.Form):
        one = forms.ModelChoiceField(Practice.objects.order_by("name"), empty_label="All")
        many = forms.ModelMultipleChoiceField(
            Practice.objects.order_by("name"), widget=forms.CheckboxSelectMultiple
        )

    chosen = str(Practice.objects.get(name="Lakeside").pk)
    for data in ({}, {"one": chosen, "many": [chosen]}):
        for name, theirs, ours in html_both_ways(Rows, data=data):
            assert ours == theirs, name
