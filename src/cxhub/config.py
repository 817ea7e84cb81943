"""All settings in one place, read from the environment with the prefix CXHUB_."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cxhub.kit.storage import FileStorage, open_storage

DEVELOPMENT_SECRET_KEY = "cxhub-development-secret-change-me"  # noqa: S105 - refused outside development


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CXHUB_", extra="ignore")

    env: Literal["development", "production", "test"] = Field(
        "development", description="Run mode; outside development a real secret key is required."
    )
    data_dir: Path = Field(Path(".cxhub"), description="Directory for the embedded database and files.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; overrides the SQLite file under the data directory."
    )
    database_sessions: int = Field(
        4,
        ge=1,
        le=64,
        description="Requests per server process that work with the database at once; the rest wait their turn.",
    )
    host: str = Field("127.0.0.1", description="Address `cxhub serve` listens on.")
    port: int = Field(8000, description="Port `cxhub serve` listens on.")
    base_url: str | None = Field(
        None, description="Public URL of the hub, used in links sent by e-mail; defaults to http://HOST:PORT."
    )
    secret_key: str = Field(
        DEVELOPMENT_SECRET_KEY, description="Key that signs CSRF tokens; must be set outside development."
    )
    session_max_age_seconds: int = Field(8 * 3600, description="How long a browser login lasts without activity.")
    secure_cookies: bool = Field(False, description="Mark cookies Secure (set behind HTTPS).")
    auth_cache_seconds: float = Field(
        5.0,
        description="How long an API token's user and rights are reused without a lookup; changes made by another"
        " process are seen within this time (0: look up every request).",
    )
    login_max_failures: int = Field(
        5, description="Failed logins allowed per account and per address within the window."
    )
    login_window_seconds: int = Field(900, description="Window for counting failed logins.")
    max_body_bytes: int = Field(1_048_576, description="Largest request body accepted by the API.")
    password_reset_ttl_seconds: int = Field(3600, description="Lifetime of a password-reset link.")
    smtp_host: str = Field("127.0.0.1", description="Outbound SMTP relay host.")
    smtp_port: int = Field(25, description="Outbound SMTP relay port.")
    mail_outbox: Path | None = Field(
        None, description="Write outbound mail as .eml files to this directory instead of the relay (the demo)."
    )
    mail_from: str = Field("cxhub@localhost", description="Sender address of mail sent by the hub.")
    mail_reply_from: str | None = Field(
        None, description="From of agents' e-mail replies (the brand's support address); default: mail_from."
    )
    smtp_listen_host: str = Field("127.0.0.1", description="Address `cxhub smtp` receives mail on.")
    smtp_listen_port: int = Field(2525, description="Port `cxhub smtp` receives mail on.")
    smtp_max_message_bytes: int = Field(
        25 * 1024 * 1024, description="Largest message `cxhub smtp` accepts; larger ones are refused (552)."
    )
    smtp_domains: dict[str, str] = Field(
        {},
        description="Recipient domains `cxhub smtp` accepts, each with its brand (JSON); empty: any, the only brand.",
    )
    attachment_max_bytes: int = Field(10 * 1024 * 1024, description="Largest attachment accepted, in bytes.")
    attachment_content_types: list[str] = Field(
        [
            "application/pdf",
            "image/png",
            "image/jpeg",
            "image/gif",
            "text/plain",
            "text/csv",
            "application/octet-stream",
        ],
        description="Content types accepted for attachments (JSON list).",
    )
    storage_url: str | None = Field(
        None, description="s3://BUCKET/PREFIX to keep files in S3-compatible object storage; default: the data dir."
    )
    storage_endpoint_url: str | None = Field(
        None, description="Endpoint of an S3-compatible service other than AWS (MinIO, Ceph, R2 ...)."
    )
    storage_region: str | None = Field(None, description="Region of the object storage bucket.")
    in_process_worker: bool = Field(True, description="Run a job worker inside `cxhub serve` (the embedded default).")
    worker_poll_seconds: float = Field(1.0, description="How often an idle worker looks for jobs.")
    match_auto_merge: float = Field(
        0.99, gt=0, le=1, description="Identity resolution: pairs at this match probability or above are merged."
    )
    match_review: float = Field(
        0.8, gt=0, le=1, description="Identity resolution: pairs from here up to the auto-merge threshold await review."
    )
    routing_max_age_days: int = Field(
        30, ge=1, description="A conversation whose customer last wrote longer ago than this is history: not routed."
    )
    job_lease_seconds: int = Field(
        300, description="How long a claimed job is held before another worker may retry it."
    )
    chat_allowed_origins: list[str] = Field(
        ["*"], description="Origins whose pages may embed the web chat widget (JSON list; `*` allows any)."
    )
    chat_poll_seconds: float = Field(0.5, description="How often an open chat or live-feed stream looks for news.")
    chat_stream_seconds: float = Field(
        300.0, description="How long one event stream stays open before the client reconnects and resumes."
    )
    argon2_time_cost: int = Field(3, description="argon2 time cost for password hashes.")
    argon2_memory_kib: int = Field(65536, description="argon2 memory cost (KiB) for password hashes.")

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.env != "development" and self.secret_key == DEVELOPMENT_SECRET_KEY:
            raise ValueError("CXHUB_SECRET_KEY must be set to a secret value outside development")
        if self.env != "development" and len(self.secret_key) < 32:
            raise ValueError("CXHUB_SECRET_KEY must be at least 32 characters")
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'cxhub.sqlite3').resolve()}"

    def file_storage(self) -> FileStorage:
        """Where attachment bytes live."""
        return open_storage(
            data_dir=self.data_dir,
            url=self.storage_url,
            endpoint_url=self.storage_endpoint_url,
            region=self.storage_region,
        )

    @property
    def public_url(self) -> str:
        return self.base_url or f"http://{self.host}:{self.port}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
