"""Configuration: one pydantic-settings class, loaded once in __main__ and passed down."""

from __future__ import annotations

import os
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Locale = Literal["zh-CN", "en"]
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
LOCALES: tuple[Locale, ...] = ("zh-CN", "en")


class Settings(BaseSettings):
    """Everything the operator can configure, from the environment or an optional .env file."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    bot_token: SecretStr | None = None
    telegram_base_url: str | None = None
    telegram_file_base_url: str | None = None
    # Unset = DATA_DIR/merchant-bot.sqlite3, so one DATA_DIR holds a deployment's whole state.
    database_path: Path | None = None
    # Unset or sqlite:///path = a SQLite file; postgresql://user:pass@host/db = PostgreSQL.
    database_url: SecretStr | None = None
    data_dir: Path = Path("data")
    timezone: str = "Asia/Shanghai"
    default_locale: Locale = "zh-CN"
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    review_chat_id: int | None = None
    support_chat_id: int | None = None
    sandbox_host: str = "127.0.0.1"
    sandbox_port: int = Field(default=8080, ge=0, le=65535)
    # URL-safe base64 of 32 bytes; unset = a key file generated under DATA_DIR.
    encryption_key: SecretStr | None = None
    max_document_mb: float = Field(default=10.0, gt=0, le=20)
    # OCR prefill: read the licence and ID card photos and propose what they say (bot/ocr/).
    ocr_enabled: bool = True
    ocr_seconds_per_image: float = Field(default=15, gt=0, le=120)
    ocr_workers: int = Field(default=1, ge=1, le=2)
    # `merchant-bot purge` deletes documents of cancelled/rejected applications after this.
    purge_after_days: float = Field(default=90, gt=0)
    # Retention shown in the privacy notice (bot/privacy.py); purge uses the tickets one.
    retention_tickets_days: float = Field(default=180, gt=0)
    retention_contract_years: int = Field(default=5, ge=1)
    retention_transactions_years: int = Field(default=5, ge=1)
    review_reminder_hours: float = Field(default=24, gt=0)
    activation_max_failures: int = Field(default=5, ge=1)
    activation_lock_minutes: float = Field(default=15, gt=0)
    # Daily summaries (结算单): money reaches the merchant T + settlement_days.
    settlement_days: int = Field(default=1, ge=0, le=7)
    summary_tick_seconds: float = Field(default=60, gt=0)
    # Pushes stay under Telegram's 30 messages/s so replies to people still get through.
    summary_messages_per_second: float = Field(default=29, gt=0, le=30)
    summary_push_concurrency: int = Field(default=8, ge=1, le=64)
    # Paid broadcast (Bot API allow_paid_broadcast) for daily summaries only: up to 1,000
    # messages/s instead of 30, for a fee in Telegram Stars per message taken from the bot's
    # balance. Off by default; a million summaries take 9.6 hours at 29/s, 17 minutes at 1,000/s.
    summary_paid_broadcast: bool = False
    summary_paid_messages_per_second: float = Field(default=1000, gt=0, le=1000)
    # POST /api/transactions and /healthz, served with the bot; off unless a secret is set.
    ingest_secret: SecretStr | None = None
    ingest_host: str = "127.0.0.1"
    ingest_port: int = Field(default=8090, ge=0, le=65535)
    # /healthz, /readyz and /metrics (bot/ops.py), no secret needed: unset OPS_PORT = 8091
    # against Telegram and off in the sandbox. Several instances on one host: one port each.
    ops_host: str = "127.0.0.1"
    ops_port: int | None = Field(default=None, ge=0, le=65535)
    # Support tickets: escalations go to ESCALATION_CHAT_ID (unset = the support chat, marked
    # ESCALATED); first-response targets per priority; how long a resolved ticket can reopen.
    escalation_chat_id: int | None = None
    support_sla_normal_minutes: float = Field(default=30, gt=0)
    support_sla_urgent_minutes: float = Field(default=10, gt=0)
    support_reopen_days: float = Field(default=7, gt=0)
    # Merchants see "Support" on replies; true = they see the staff member's first name.
    support_show_staff_names: bool = False
    # Incoming updates per user: a burst of RATE_LIMIT_BURST, then RATE_LIMIT_MESSAGES per
    # RATE_LIMIT_SECONDS (staff in groups get five times as much). A person typing, tapping
    # or forwarding an album does not reach it (a whole application is about 30 updates);
    # a script flooding the bot is held to one update every two seconds.
    rate_limit_messages: int = Field(default=30, ge=1)
    rate_limit_seconds: float = Field(default=60, gt=0)
    rate_limit_burst: int = Field(default=60, ge=1)
    # A merchant's follow-ups on a ticket reach staff at most once per this many seconds,
    # combined into one message (the first after a quiet spell goes at once).
    support_batch_seconds: float = Field(default=5, ge=0, le=300)
    # Webhook ingress instead of long polling: Telegram POSTs updates to WEBHOOK_URL (https;
    # http only to localhost), each carrying WEBHOOK_SECRET in X-Telegram-Bot-Api-Secret-Token.
    # Every instance serves the URL's path on WEBHOOK_LISTEN_HOST:WEBHOOK_LISTEN_PORT (put a
    # TLS-terminating load balancer in front). Unset WEBHOOK_URL = long polling.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = Field(default=None, validate_default=True)
    webhook_listen_host: str = "127.0.0.1"
    webhook_listen_port: int = Field(default=8443, ge=0, le=65535)
    # The fee schedule shown before signing: FEE_DEBIT_RATE, FEE_CREDIT_RATE, FEE_SCAN_RATE as
    # percentages ("0.55%"), kept as whole basis points; all three or none (none = support
    # confirms the rates). Optional debit cap per transaction and deposit, in fen.
    fee_debit_rate: int | None = Field(default=None, ge=0, le=10000)
    fee_credit_rate: int | None = Field(default=None, ge=0, le=10000)
    fee_scan_rate: int | None = Field(default=None, ge=0, le=10000)
    fee_debit_cap_fen: int | None = Field(default=None, gt=0)
    fee_deposit_fen: int | None = Field(default=None, ge=0)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Long-poll timeout for getUpdates; tests shorten it so shutdown is quick.
    poll_timeout_seconds: float = Field(default=10.0, gt=0, le=50)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",")]
            return [p for p in parts if p]
        return value

    @field_validator("fee_debit_rate", "fee_credit_rate", "fee_scan_rate", mode="before")
    @classmethod
    def _percent_to_bp(cls, value: object) -> object:
        # An int is already basis points; text from the environment must say "%".
        if isinstance(value, str):
            text = value.strip()
            if not text:
                return None
            if not text.endswith("%"):
                raise ValueError("a percentage such as 0.55%")
            try:
                bp = Decimal(text[:-1].strip()) * 100
            except InvalidOperation:
                raise ValueError("a percentage such as 0.55%") from None
            if bp != bp.to_integral_value():
                raise ValueError("a percentage with at most two decimals, such as 0.55%")
            return int(bp)
        return value

    @model_validator(mode="after")
    def _rates_together(self) -> Settings:
        rates = (self.fee_debit_rate, self.fee_credit_rate, self.fee_scan_rate)
        if any(r is not None for r in rates) and any(r is None for r in rates):
            raise ValueError(
                "FEE_DEBIT_RATE, FEE_CREDIT_RATE and FEE_SCAN_RATE set together (or none)"
            )
        return self

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("an IANA time zone name such as Asia/Shanghai") from exc
        return value

    @field_validator("database_path")
    @classmethod
    def _usable_database_path(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        if value.is_dir():
            raise ValueError("a file path, but it names a directory")
        parent = value.parent
        for ancestor in (parent, *parent.parents):
            if ancestor.exists():
                if not ancestor.is_dir():
                    raise ValueError(f"a path inside a directory, but {ancestor} is a file")
                if not os.access(ancestor, os.W_OK | os.X_OK):
                    raise ValueError(f"a writable location, but {ancestor} is not writable")
                break
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not value.get_secret_value().startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError("a URL starting with sqlite:/// or postgresql://")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _usable_webhook_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        local = parts.hostname in ("localhost", "127.0.0.1", "::1")
        if parts.scheme != "https" and not (parts.scheme == "http" and local):
            raise ValueError("an https:// URL (http:// only for localhost)")
        if not parts.hostname:
            raise ValueError("a URL with a host name, such as https://bot.example.com/telegram")
        if parts.query or parts.fragment:
            raise ValueError("a URL without ?query or #fragment")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _usable_webhook_secret(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        secret = value.get_secret_value() if value else ""
        if not secret:
            if info.data.get("webhook_url"):
                raise ValueError(
                    "a secret of 1-256 characters A-Z a-z 0-9 _ - (WEBHOOK_URL is set)"
                )
            return None
        if not _WEBHOOK_SECRET.fullmatch(secret):
            raise ValueError("1-256 characters A-Z a-z 0-9 _ - (Telegram allows no others)")
        return value

    @property
    def webhook_path(self) -> str:
        """The path each instance serves the webhook on: WEBHOOK_URL's."""
        return urlsplit(self.webhook_url or "").path or "/"

    @field_validator("data_dir")
    @classmethod
    def _usable_data_dir(cls, value: Path) -> Path:
        if value.exists() and not value.is_dir():
            raise ValueError("a directory, but it names a file")
        return value

    @property
    def database(self) -> Path | str:
        """Where Storage keeps its data: a SQLite file's path or a PostgreSQL URL."""
        url = self.database_url.get_secret_value() if self.database_url else ""
        if url.startswith("sqlite:///"):
            return Path(url.removeprefix("sqlite:///"))
        return url or self.sqlite_path

    @property
    def sqlite_path(self) -> Path:
        """The SQLite file: DATABASE_PATH, else merchant-bot.sqlite3 in DATA_DIR."""
        return self.database_path or self.data_dir / "merchant-bot.sqlite3"

    @property
    def database_label(self) -> str:
        """Where the data is, for the operator's eyes: the file, or the URL without password."""
        where = self.database
        if isinstance(where, Path):
            return str(where)
        parts = urlsplit(where)
        host = parts.hostname or ""
        user = f"{parts.username}@" if parts.username else ""
        port = f":{parts.port}" if parts.port else ""
        return urlunsplit(parts._replace(netloc=f"{user}{host}{port}"))

    @property
    def database_setting(self) -> str:
        """The variable that says where the data is."""
        return "DATABASE_URL" if self.database_url else "DATABASE_PATH"

    @property
    def zone(self) -> ZoneInfo:
        """The configured business time zone."""
        return ZoneInfo(self.timezone)

    @property
    def sandbox(self) -> bool:
        """True when no token is set: run against the bundled local Bot API server."""
        return self.bot_token is None or not self.bot_token.get_secret_value()


class ConfigError(Exception):
    """A setting has a bad value; the message is one line meant for the operator."""


def describe_validation_error(exc: ValidationError) -> str:
    """Turn pydantic's multi-line report into one line naming the variable and what is expected."""
    problems = []
    for err in exc.errors():
        name = str(err["loc"][0]).upper() if err["loc"] else "settings"
        message = err["msg"].removeprefix("Value error, ")
        problems.append(
            f"{name}: expected {message}" if err["type"] == "value_error" else f"{name}: {message}"
        )
    return "; ".join(problems)


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, raising ConfigError with a one-line message."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None
