"""Server settings, read from the environment (prefix ``HEPVISION_``) or an env file.

    HEPVISION_ENVIRONMENT      development | production (default development)
    HEPVISION_DATABASE_URL     SQLAlchemy URL; default: SQLite file in the data dir
                               (``$HEPVISION_HOME/server/hepvision.db``). PostgreSQL:
                               ``postgresql+psycopg://user:pass@host/db``
    HEPVISION_SECRET_KEY       pepper for token and enrolment-code digests; required (not the
                               default) outside development
    HEPVISION_ACCESS_TOKEN_MINUTES, HEPVISION_ENROLMENT_CODE_HOURS, HEPVISION_MAX_SESSION_BYTES,
    HEPVISION_PAIN_ALERT_THRESHOLD, HEPVISION_ROM_DROP_ALERT_DEG, ...
    HEPVISION_SESSION_BACKDATE_DAYS  how many days before a patient's enrolment an uploaded
                               session may be dated (default 1; raise it to import history)

Settings are built explicitly (``Settings()`` or ``load_settings(env_file=...)``) and passed to
``create_app(settings)``; nothing is read at import time.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hepvision.server.errors import ConfigError

log = logging.getLogger(__name__)

DEFAULT_SECRET = "changethis"


def data_home() -> Path:
    """``$HEPVISION_HOME`` or ``~/.local/share/hepvision``: where local state lives."""
    home = os.environ.get("HEPVISION_HOME")
    return Path(home).expanduser() if home else Path.home() / ".local" / "share" / "hepvision"


def default_database_url() -> str:
    return f"sqlite:///{data_home() / 'server' / 'hepvision.db'}"


class Settings(BaseSettings):
    """Everything the server needs to run; see the module docstring for the variables."""

    model_config = SettingsConfigDict(env_prefix="HEPVISION_", extra="ignore",
                                      env_file_encoding="utf-8")

    environment: Literal["development", "production"] = "development"
    database_url: str = Field(default_factory=default_database_url)
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    access_token_minutes: int = Field(default=8 * 60, ge=1, le=30 * 24 * 60)
    enrolment_code_hours: int = Field(default=72, ge=1, le=30 * 24)
    max_session_bytes: int = Field(default=2_000_000, ge=1_000, le=50_000_000)
    pain_alert_threshold: int = Field(default=7, ge=0, le=10)
    rom_drop_alert_deg: float = Field(default=10.0, gt=0, le=180)
    argon2_time_cost: int = Field(default=3, ge=1, le=20)
    argon2_memory_kib: int = Field(default=64 * 1024, ge=8, le=4 * 1024 * 1024)
    db_pool_size: int = Field(default=10, ge=1, le=200)
    session_backdate_days: int = Field(default=1, ge=0, le=36_500)
    sql_echo: bool = False

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        secret = self.secret_key.get_secret_value()
        weak = secret == DEFAULT_SECRET or len(secret) < 16
        if weak and self.environment != "development":
            raise ValueError(
                "HEPVISION_SECRET_KEY is the default or shorter than 16 characters; set a "
                "random one (python -c 'import secrets; print(secrets.token_urlsafe(32))') "
                "or run with HEPVISION_ENVIRONMENT=development")
        if self.environment != "development" and self.argon2_memory_kib < 19 * 1024:
            raise ValueError("argon2_memory_kib below 19456 (OWASP minimum) outside development")
        return self

    @property
    def uses_default_secret(self) -> bool:
        return self.secret_key.get_secret_value() == DEFAULT_SECRET

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(env_file: str | Path | None = None, **overrides: object) -> Settings:
    """Settings from the environment (and ``env_file``), with ``overrides`` on top.

    Raises :class:`ConfigError` with a one-line message for invalid or unsafe settings.
    """
    if env_file is not None and not Path(env_file).is_file():
        raise ConfigError(f"settings file not found: {env_file}")
    # Raw values (CLI flags, tests) that pydantic validates, as it does the environment's.
    clean: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
    try:
        # _env_file is BaseSettings' own argument, missing from the field signature mypy sees.
        settings = Settings(_env_file=env_file, **clean)  # type: ignore[call-arg]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "settings"
        raise ConfigError(f"invalid setting {where}: {first['msg']}") from None
    if settings.uses_default_secret:
        log.warning("development mode with the default secret key: do not expose this server")
    return settings
