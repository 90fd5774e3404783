"""The monthly reports made as PDFs (by a worker; analytics.jobs)."""

from __future__ import annotations

from django.db import models

from practices.models import Practice


class MonthlyReport(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="reports")
    month = models.DateField(help_text="The first day of the month reported on.")
    pdf = models.FileField(upload_to="reports/")
    made_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-month", "practice_id"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "month"], name="monthly_report_unique")
        ]

    def __str__(self) -> str:
        return f"{self.practice}: {self.month:%B %Y}"
