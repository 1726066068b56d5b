from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "nurture.accounts"
    label = "accounts"
    verbose_name = "Accounts and audit"

    def ready(self) -> None:
        from . import lockout, signals, twofactor  # noqa: F401  (connect the login, lockout and two-factor receivers)
