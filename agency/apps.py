from django.apps import AppConfig


class AgencyConfig(AppConfig):
    name = "agency"
    verbose_name = "Agency"

    def ready(self):
        from agency import signals  # noqa: F401  (login audit)
