"""Settings: one ``Settings`` object, read from ``AKSARA_*`` variables, swapped with ``configure()``."""

from __future__ import annotations

from typing import Any, cast

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting aksara reads. Each can also come from ``AKSARA_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="AKSARA_", extra="forbid", validate_default=True)

    debug: bool = False

    # Database: a secret (it holds the password), shown as ********** in every representation.
    database_url: SecretStr | None = None
    embedded_data_dir: str = ".aksara/pgdata"
    pool_size: int = 10
    max_overflow: int = 10
    pool_timeout: float = 30.0
    statement_timeout: float | None = None
    # 0 disables asyncpg's prepared-statement cache (transaction poolers such as PgBouncer).
    statement_cache_size: int = 100

    # Media storage
    media_storage: str = "filesystem"
    media_root: str = "media"
    media_url: str = "/media/"
    media_s3_bucket: str | None = None
    media_s3_region: str | None = None
    media_s3_endpoint_url: str | None = None
    media_s3_access_key_id: str | None = None
    media_s3_secret_access_key: SecretStr | None = None
    media_s3_prefix: str = ""
    media_public_base_url: str | None = None
    media_url_expires: int = 3600
    media_keep_replaced_files: bool = False
    #: Larger images are refused: decompression bombs. A decode takes up to 4 bytes a pixel.
    media_max_image_pixels: int = 25_000_000
    #: Larger image files are refused unread (an image field's own ``max_size`` wins).
    media_max_image_bytes: int = 50 * 1024 * 1024

    # Mail
    email_backend: str = "console"
    default_from_email: str = "webmaster@localhost"
    email_host: str = "localhost"
    email_port: int = 25
    email_host_user: str = ""
    email_host_password: SecretStr = SecretStr("")
    email_use_tls: bool = False
    email_use_ssl: bool = False
    email_timeout: float | None = None
    email_subject_prefix: str = ""
    #: Seconds between the attempts at mail deferred to a commit whose sending failed.
    email_retry_delays: tuple[float, ...] = (1.0, 10.0, 60.0)

    def database_url_value(self) -> str | None:
        """The database URL itself (``database_url`` is a ``SecretStr``)."""
        return self.database_url.get_secret_value() if self.database_url is not None else None


_current: Settings | None = None


def configure(settings: Settings | None = None, /, **overrides: Any) -> Settings:
    """Install ``settings`` (or the current settings updated with ``overrides``) for the process.

    ``configure(Settings(email_backend="locmem"))`` replaces everything;
    ``configure(email_backend="locmem")`` changes one value and keeps the rest.
    """
    global _current
    if settings is None:
        base = get_settings()
        settings = Settings(**{**base.model_dump(), **overrides}) if overrides else base
    elif overrides:
        settings = Settings(**{**settings.model_dump(), **overrides})
    _current = settings
    return settings


def get_settings() -> Settings:
    """The settings in force: the configured ones, else ``Settings()`` from the environment."""
    global _current
    if _current is None:
        _current = Settings()
    return _current


def reset() -> None:
    """Forget configured settings; the next read builds them from the environment again."""
    global _current
    _current = None


class _SettingsProxy:
    """``aksara.conf.settings``: always reads the settings currently configured."""

    def __getattr__(self, name: str) -> Any:
        return getattr(get_settings(), name)

    def __repr__(self) -> str:
        return repr(get_settings())


settings: Settings = cast("Settings", _SettingsProxy())
