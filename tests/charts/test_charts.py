"""The SVG charts: every point names itself, labels do not collide, a month under way
does not read as a fall."""

from __future__ import annotations

import itertools
import re

import charts

LABELS = [
    f"{month} 2026"
    for month in (
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    )
]


def texts_at_the_bottom(svg: str) -> list[tuple[float, str]]:
    return [
        (float(x), text)
        for x, text in re.findall(r'<text x="([\d.]+)" y="228"[^>]*>([^<]+)</text>', svg)
    ]


def test_every_point_shows_its_label_and_value_on_hover_and_focus():
    svg = charts.line_chart(
        LABELS[:3], [charts.Series("Reach", [1200, None, 3400.0])], summary="Reach"
    )
    points = re.findall(r"<circle[^>]*tabindex=\"0\"><title>([^<]+)</title></circle>", svg)
    assert points == ["Jan 2026, Reach: 1,200", "Mar 2026, Reach: 3,400"]  # a gap is no point
    rate = charts.line_chart(LABELS[:1], [charts.Series("Rate", [4.256])], summary="r", unit="%")
    assert "<title>Jan 2026, Rate: 4.26%</title>" in rate
    bars = charts.bar_chart(["2 Nov", "9 Nov"], [3, 1], summary="Posts", goal=2)
    assert "<title>9 Nov, posts: 1</title>" in bars


def test_month_labels_do_not_collide():
    svg = charts.line_chart(LABELS, [charts.Series("Reach", [100.0] * 12)], summary="Reach")
    shown = texts_at_the_bottom(svg)
    assert len(shown) >= 4  # the year is still told
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(shown)]
    assert min(gaps) >= len("Dec 2026") * 6.5  # wider than a label: no overlap


def test_the_month_under_way_is_drawn_apart():
    values = [900.0, 1000.0, 150.0]  # a whole month, another, then a week of this one
    svg = charts.line_chart(
        ["Oct 2026", "Nov 2026", "Dec so far"],
        [charts.Series("Reach", values)],
        summary="Reach",
        under_way=True,
    )
    solid, dotted = re.findall(r'<path d="([^"]+)" fill="none" stroke="#0b5cad"([^/]*)/>', svg)
    assert solid[0].count("L") == 1  # the trend line joins the whole months only
    assert 'stroke-dasharray="2 4"' in dotted[1]  # this month so far: dotted
    assert re.search(r'<circle[^>]*r="4" fill="#fff"[^>]*><title>Dec so far', svg)  # hollow


def test_no_label_runs_off_the_chart():
    labels = [*LABELS[6:11], "Dec so far"]
    svg = charts.line_chart(labels, [charts.Series("Reach", [1, 2, 3, 4, 5, 6])], summary="Reach")
    anchors = re.findall(r'y="228" text-anchor="(\w+)"[^>]*>([^<]+)<', svg)
    assert anchors[-1] == ("end", "Dec so far")
    assert {anchor for anchor, _ in anchors[:-1]} == {"middle"}
    for x, text in texts_at_the_bottom(svg):
        # An end-anchored label ends at x; a centred one spans half its width each way.
        right = x if text == "Dec so far" else x + len(text) * 3.25
        assert right <= charts.WIDTH


def test_small_counts_get_whole_numbers_on_the_axis():
    svg = charts.bar_chart(["w1", "w2"], [1, 0], summary="Posts", goal=1)
    ticks = re.findall(r'text-anchor="end" font-size="11" fill="#57606a">([^<]+)<', svg)
    assert ticks == ["0", "1", "2", "3", "4"]
    rate = charts.line_chart(["a", "b"], [charts.Series("Rate", [0.4, 0.8])], summary="r", unit="%")
    assert "1.0%" in rate  # a rate's axis keeps its own scale


def test_a_chart_without_any_figure_says_so():
    empty = charts.line_chart(LABELS[:6], [charts.Series("Reach", [None] * 6)], summary="Reach")
    assert "No figures yet" in empty
    drawn = charts.line_chart(LABELS[:2], [charts.Series("Reach", [None, 5])], summary="Reach")
    assert "No figures yet" not in drawn
