"""Django's form renderer, with its commonest templates written in Python.

Every widget, every option of a select or a list of checkboxes, and every
field's error list is a template render (a select of ten options is a dozen):
the post editor, with its platforms, authorizations and per-platform texts,
spent half its server time there. The templates below are written here as
Django 6 writes them, character for character, with the template language's
escaping (tests/test_form_renderer.py renders every widget both ways, with
hostile values, and compares). Any other template (a widget of ours, a form's
own layout) is rendered from its file as usual.

settings.FORM_RENDERER names FormRenderer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.http import HttpRequest
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData

Widget = dict[str, Any]


def _out(value: Any) -> str:
    """`{{ value }}`: localized, escaped unless already safe."""
    return str(conditional_escape(localize(value)))


def _as_string(value: object) -> str:
    """`{{ value|stringformat:'s' }}`: str(), escaped unless it was safe (the filter is safe)."""
    return str(value) if isinstance(value, SafeData) else escape(str(value))


def _attrs(widget: Widget) -> str:
    """django/forms/widgets/attrs.html"""
    return "".join(
        f" {_out(name)}" if value is True else f' {_out(name)}="{_as_string(value)}"'
        for name, value in widget["attrs"].items()
        if value is not False
    )


# Each function below gives what its template gives, whitespace included: a
# template file ends with a line break, which an including template keeps
# (the renderer strips only the outermost result).


def _input(widget: Widget) -> str:
    """django/forms/widgets/input.html"""
    value = "" if widget["value"] is None else f' value="{_as_string(widget["value"])}"'
    kind, name = _out(widget["type"]), _out(widget["name"])
    return f'<input type="{kind}" name="{name}"{value}{_attrs(widget)}>\n'


def _input_kind(widget: Widget) -> str:
    """text.html, date.html, checkbox.html...: each includes input.html"""
    return _input(widget) + "\n"


def _textarea(widget: Widget) -> str:
    """django/forms/widgets/textarea.html"""
    value = _out(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{_out(widget["name"])}"{_attrs(widget)}>\n{value}</textarea>\n'


def _option(widget: Widget) -> str:
    """django/forms/widgets/select_option.html"""
    value, label = _as_string(widget["value"]), _out(widget["label"])
    return f'<option value="{value}"{_attrs(widget)}>{label}</option>\n'


def _select(widget: Widget) -> str:
    """django/forms/widgets/select.html"""
    options = _groups(
        widget, opening='\n  <optgroup label="{}">', option="\n  {}", closing="\n  </optgroup>"
    )
    return f'<select name="{_out(widget["name"])}"{_attrs(widget)}>{options}\n</select>\n'


def _groups(widget: Widget, *, opening: str, option: str, closing: str) -> str:
    """A choice widget's groups and options: `opening` ({} the group's name) and
    `closing` around each named group, each option's own template put in `option`."""
    parts = []
    for group, options, _index in widget["optgroups"]:
        if group:
            parts.append(opening.format(_out(group)))
        for each in options:
            parts.append(option.format(_template(each["template_name"], each)))
        if group:
            parts.append(closing)
    return "".join(parts)


def _input_option(widget: Widget) -> str:
    """django/forms/widgets/input_option.html: one checkbox or radio button of a list."""
    if not widget["wrap_label"]:
        return _input(widget) + "\n"
    target = widget["attrs"].get("id")
    label_for = f' for="{_out(target)}"' if target else ""
    return f"<label{label_for}>{_input(widget)} {_out(widget['label'])}</label>\n"


def _choice_option(widget: Widget) -> str:
    """checkbox_option.html and radio_option.html: each includes input_option.html"""
    return _input_option(widget) + "\n"


def _multiple_input(widget: Widget) -> str:
    """django/forms/widgets/multiple_input.html: a list of checkboxes or radio buttons."""
    attrs = widget["attrs"]
    parts = ["<div"]
    if attrs.get("id"):
        parts.append(f' id="{_out(attrs["id"])}"')
    if attrs.get("class"):
        parts.append(f' class="{_out(attrs["class"])}"')
    parts.append(">")
    parts.append(
        _groups(
            widget,
            opening="\n  <div><label>{}</label>",
            option="<div>\n    {}</div>",
            closing="\n  </div>",
        )
    )
    parts.append("\n</div>\n")
    return "".join(parts)


def _choices(widget: Widget) -> str:
    """checkbox_select.html and radio.html: each includes multiple_input.html"""
    return _multiple_input(widget) + "\n"


def _template(template_name: str, widget: Widget) -> str:
    """What `{% include template_name with widget=widget %}` gives."""
    write = _WIDGETS.get(template_name)
    if write is None:  # an option template of our own: from its file
        return str(get_default_renderer().get_template(template_name).render({"widget": widget}))
    return write(widget)


def _errors(context: dict[str, Any]) -> str:
    """django/forms/errors/list/ul.html (and default.html, which includes it)"""
    errors = context["errors"]
    if not errors:
        return ""
    field_id = getattr(errors, "field_id", None)
    its_id = f' id="{_out(field_id)}_error"' if field_id else ""
    items = "".join(f"<li>{_out(error)}</li>" for error in errors)
    return f'<ul class="{_out(context["error_class"])}"{its_id}>{items}</ul>'


_INPUTS = (
    "checkbox",
    "color",
    "date",
    "datetime",
    "email",
    "file",
    "hidden",
    "number",
    "password",
    "search",
    "tel",
    "text",
    "time",
    "url",
)
_WIDGETS: dict[str, Callable[[Widget], str]] = {
    "django/forms/widgets/input.html": _input,
    **{f"django/forms/widgets/{name}.html": _input_kind for name in _INPUTS},
    "django/forms/widgets/textarea.html": _textarea,
    "django/forms/widgets/select.html": _select,
    "django/forms/widgets/select_option.html": _option,
    "django/forms/widgets/input_option.html": _input_option,
    "django/forms/widgets/checkbox_option.html": _choice_option,
    "django/forms/widgets/radio_option.html": _choice_option,
    "django/forms/widgets/multiple_input.html": _multiple_input,
    "django/forms/widgets/checkbox_select.html": _choices,
    "django/forms/widgets/radio.html": _choices,
}
_ERRORS = {"django/forms/errors/list/default.html", "django/forms/errors/list/ul.html"}


class FormRenderer(DjangoTemplates):
    """DjangoTemplates, except for the templates written above."""

    def render(
        self, template_name: str, context: dict[str, Any], request: HttpRequest | None = None
    ) -> str:
        write = _WIDGETS.get(template_name)
        if write is not None:
            return write(context["widget"]).strip()
        if template_name in _ERRORS:
            return _errors(context)
        return str(super().render(template_name, context, request=request))
