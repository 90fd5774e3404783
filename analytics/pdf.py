"""The monthly report as a PDF (fpdf2: pure Python, so any machine that runs the
workers can make it), with the same sections and figures as the printable page."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from fpdf import FPDF

from analytics import figures, stats
from practices.templatetags.platforms import platform_name

FONTS = Path(__file__).resolve().parent / "fonts"


def _rate(totals: stats.Totals) -> str:
    rate = totals.engagement_rate
    return "not yet reported" if rate is None else f"{rate:.2f}%"


def _reach(totals: stats.Totals) -> str:
    return str(totals.reach) if totals.reported else "not yet reported"


def _band(band: stats.PeerBand, unit: str, digits: int) -> str:
    if not band.enough:
        return "fewer than five peers with posts: no band"
    assert band.low is not None and band.median is not None and band.high is not None
    return (
        f"{band.low:.{digits}f}{unit} to {band.high:.{digits}f}{unit} "
        f"(median {band.median:.{digits}f}{unit}, {band.peers} practices)"
    )


class ReportPDF(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(format="Letter")
        self.report_title = title
        self.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_auto_page_break(auto=True, margin=15)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", "", 8)
        self.cell(0, 6, f"{self.report_title} · page {self.page_no()}", align="C")

    def heading(self, text: str) -> None:
        self.ln(4)
        self.set_font("DejaVu", "B", 12)
        self.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font("DejaVu", "", 10)

    def rows(self, header: list[str], body: list[list[str]]) -> None:
        self.set_font("DejaVu", "", 9)
        with self.table(first_row_as_headings=True, line_height=6) as table:
            for values in [header, *body]:
                row = table.row()
                for value in values:
                    row.cell(value)
        self.set_font("DejaVu", "", 10)


def render(report: figures.Report) -> bytes:
    practice = report.practice
    title = f"{practice}: {report.label}"
    pdf = ReportPDF(title)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 16)
    pdf.multi_cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(
        0,
        5,
        f"Social media report by {settings.AGENCY_NAME} · {practice.get_specialty_display()} · "
        f"times are the practice's ({practice.time_zone})",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.heading("The month")
    previous = f"{figures.add_months(report.month, -1):%b %Y}"
    pdf.rows(
        ["", "Posts", "Reach", "Engagement rate"],
        [
            [report.label, str(report.totals.posts), _reach(report.totals), _rate(report.totals)],
            [previous, str(report.before.posts), _reach(report.before), _rate(report.before)],
        ],
    )
    pdf.ln(2)
    pdf.multi_cell(
        0,
        5,
        f"Peers (other {practice.get_specialty_display().lower()} practices of the agency): "
        f"engagement rate {_band(report.rate_band, '%', 2)}; reach per post "
        f"{_band(report.reach_band, '', 0)}.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.heading("By platform")
    pdf.rows(
        ["Platform", "Posts", "Reach", "Engagement rate"],
        [
            [platform_name(platform), str(totals.posts), _reach(totals), _rate(totals)]
            for platform, totals in report.by_platform.items()
        ]
        or [["Nothing published this month", "", "", ""]],
    )
    pdf.heading("Top posts")
    pdf.rows(
        ["Post", "Reach", "Engagements", "Platforms"],
        [
            [
                str(top.post),
                str(top.reach),
                str(top.engagements),
                ", ".join(platform_name(p) for p in top.platforms),
            ]
            for top in report.top_posts
        ]
        or [["No numbers yet", "", "", ""]],
    )
    pdf.heading(
        f"Posting goal ({practice.posts_per_week} a week; each week in the month it ends in)"
    )
    pdf.rows(
        ["Week of", "Posts", "Goal met"],
        [
            [
                f"{w.start:%-d %b}",
                str(w.posts),
                "Under way" if w.under_way else "Yes" if w.met else "No",
            ]
            for w in report.weeks
        ],
    )
    pdf.heading("The team's tips")
    pdf.rows(
        ["Sent by", "Tips", "Became posts", "Reach earned"],
        [[line.name, str(line.tips), str(line.posted), str(line.reach)] for line in report.staff]
        or [["No tips this month", "", "", ""]],
    )
    return bytes(pdf.output())
