"""Typed settings for the modem service, read from ``MODEM_*`` environment variables."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the service needs; every field has an offline-safe default but the token.

    ``Settings(backend="simulated", token="...")`` is a complete, working configuration: a
    simulated modem and an in-memory IP log that disappears with the process.
    """

    model_config = SettingsConfigDict(env_prefix="MODEM_", extra="ignore")

    backend: Literal["simulated", "mmcli", "hilink"] = Field(
        "simulated", description="Which modem driver rotates the IP."
    )
    token: SecretStr | None = Field(
        None, description="Bearer token required on every endpoint but /health."
    )
    allow_open: bool = Field(
        False,
        description="Run without a token. Only honoured when bound to a loopback address.",
    )
    host: str = Field("127.0.0.1", description="Address uvicorn binds to.")
    port: int = Field(8000, description="Port uvicorn binds to.")
    database_url: str = Field(
        "sqlite+pysqlite:///:memory:",
        description="SQLAlchemy URL of the IP log (SQLite file or PostgreSQL).",
    )
    cooldown_seconds: float = Field(
        0.0,
        ge=0,
        description="After a rotation, further /rotate calls within this many seconds get "
        "the last result instead of rotating again.",
    )
    max_attempts: int = Field(
        3, ge=1, description="Rotation attempts before giving up when the IP does not change."
    )
    ip_cache_seconds: float = Field(2.0, ge=0, description="How long GET /ip answers from cache.")

    # Simulated backend: the sandbox's modem.
    sim_ranges: str = Field(
        "209.29.168.0/24=0.9,209.29.99.0/24=0.1",
        description="Carrier blocks the simulated modem draws public IPs from, with weights.",
    )
    sim_rotation_seconds: float = Field(
        2.0, ge=0, description="How long a simulated reconnect takes (real seconds)."
    )
    sim_unchanged_probability: float = Field(
        0.1, ge=0, le=1, description="Chance that a simulated reconnect keeps the same IP."
    )
    sim_seed: int = Field(0, description="Seed of the simulated modem's random draws.")

    @field_validator("sim_ranges")
    @classmethod
    def _ranges_parse(cls, value: str) -> str:
        parse_weighted_ranges(value)
        return value

    def weighted_ranges(self) -> list[tuple[str, float]]:
        return parse_weighted_ranges(self.sim_ranges)


def parse_weighted_ranges(text: str) -> list[tuple[str, float]]:
    """Parse ``"a.b.c.0/24=0.9,d.e.f.0/24=0.1"`` into ``[(cidr, weight), ...]``.

    Raises ``ValueError`` naming the bad entry, so a typo in the environment fails at start.
    """
    import ipaddress

    ranges: list[tuple[str, float]] = []
    for raw in text.split(","):
        entry = raw.strip()
        if not entry:
            continue
        cidr, _, weight = entry.partition("=")
        try:
            network = ipaddress.ip_network(cidr.strip(), strict=True)
            w = float(weight) if weight else 1.0
        except ValueError as exc:
            raise ValueError(f"bad carrier range {entry!r}: {exc}") from exc
        if w <= 0:
            raise ValueError(f"bad carrier range {entry!r}: weight must be positive")
        ranges.append((str(network), w))
    if not ranges:
        raise ValueError("at least one carrier range is needed")
    return ranges
