from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "nurture.accounts"
    label = "accounts"
    verbose_name = "Accounts and audit"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects login audit receivers)
