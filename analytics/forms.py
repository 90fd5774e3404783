"""The period picker of the analytics page and the report: a month, a quarter, or a
range of days."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from analytics import periods
from practices.models import Practice

MONTHS_OFFERED = 24
QUARTERS_OFFERED = 8


class PeriodForm(forms.Form):
    kind = forms.ChoiceField(
        label="Report on",
        choices=[
            (periods.MONTH, "A month"),
            (periods.QUARTER, "A quarter"),
            (periods.RANGE, "Days"),
        ],
        initial=periods.MONTH,
        widget=forms.RadioSelect,
    )
    month = forms.ChoiceField(label="Month", required=False)
    quarter = forms.ChoiceField(label="Quarter", required=False)
    start = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, practice: Practice, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        month = periods.Period.month(today)
        months = []
        for _ in range(MONTHS_OFFERED):
            months.append(
                (month.slug, month.label + (" (so far)" if month.under_way(today) else ""))
            )
            month = month.before()
        quarter = periods.Period.quarter(today.year, (today.month - 1) // 3 + 1)
        quarters = []
        for _ in range(QUARTERS_OFFERED):
            quarters.append(
                (quarter.slug, quarter.label + (" (so far)" if quarter.under_way(today) else ""))
            )
            quarter = quarter.before()
        self._choose("month", months)
        self._choose("quarter", quarters)

    def _choose(self, name: str, choices: list[tuple[str, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices
        field.initial = choices[0][0]

    @staticmethod
    def shown(period: periods.Period) -> dict[str, object]:
        """The picker's values for a period (the report it is on)."""
        if period.kind == periods.MONTH:
            return {"kind": periods.MONTH, "month": period.slug}
        if period.kind == periods.QUARTER:
            return {"kind": periods.QUARTER, "quarter": period.slug}
        return {"kind": periods.RANGE, "start": period.first, "end": period.last}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind")
        # What the other choices' boxes hold does not matter (the page sends them all).
        used = {
            periods.MONTH: ["month"],
            periods.QUARTER: ["quarter"],
            periods.RANGE: ["start", "end"],
        }
        for name in ("month", "quarter", "start", "end"):
            if kind in used and name not in used[kind]:
                self.errors.pop(name, None)
        try:
            if kind == periods.MONTH and cleaned.get("month"):
                cleaned["period"] = periods.parse(cleaned["month"])
            elif kind == periods.QUARTER and cleaned.get("quarter"):
                cleaned["period"] = periods.parse(cleaned["quarter"])
            elif kind == periods.RANGE:
                start, end = cleaned.get("start"), cleaned.get("end")
                if start is None or end is None:
                    if not self.has_error("start") and not self.has_error("end"):
                        raise forms.ValidationError("Give the first and the last day.")
                    return cleaned
                if start > self.today:
                    raise forms.ValidationError("The range begins after today.")
                if end > self.today:
                    # Compared with as many days before it, a range into the future
                    # would weigh days to come as nothing.
                    raise forms.ValidationError("The range ends after today: end it today.")
                cleaned["period"] = periods.Period.days(start, end)
            elif kind:
                raise forms.ValidationError("Choose which one.")
        except periods.BadPeriod as exc:
            raise forms.ValidationError(str(exc)) from None
        return cleaned
