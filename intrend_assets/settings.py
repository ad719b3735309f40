"""Typed settings of the code location, from ``INTREND_*`` environment variables.

Only configuration differs between a laptop on the sandbox and a deployment on the real modem:
the code reads everything from here (secrets only from the environment).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, field_validator

from intrend_assets.instagram.strategies import (
    IPAD_APP_ID,
    PROFILE_DOC_ID,
    PROFILE_STRATEGIES,
    TIMELINE_DOC_ID,
    TIMELINE_STRATEGIES,
    check_order,
)

if TYPE_CHECKING:
    from dagster import DefaultSensorStatus
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

StrategyList = Annotated[list[str], NoDecode]  # "a,b,c" in the environment, not JSON


class IntrendSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INTREND_", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Root of local data (raw store, warehouse).")
    raw_dir: Path | None = Field(None, description="Raw store folder; default DATA_DIR/raw.")
    warehouse_path: Path | None = Field(
        None, description="DuckDB file; default DATA_DIR/warehouse.duckdb."
    )
    profiles_file: Path = Field(
        Path("profiles.txt"), description="Tracked profiles, one username per line."
    )

    instagram_base_url: str = Field(
        "https://i.instagram.com", description="Where web_profile_info is served."
    )
    proxy_url: str | None = Field(
        None,
        description="HTTP proxy on the modem box; unset when the VPN routes Instagram's hosts.",
    )
    app_id: str = Field("936619743392459", description="x-ig-app-id header (web app).")
    user_agent: str | None = Field(None, description="Browser user-agent; a default is built in.")
    max_connections: int = Field(8, ge=1, description="Connection limit towards the proxy.")
    concurrency: int = Field(8, ge=1, description="Profiles fetched at once inside a run.")
    connect_timeout: float = Field(10.0, gt=0)
    read_timeout: float = Field(30.0, gt=0)
    pacing: Literal["none", "fixed", "jittered"] = Field("none")
    pacing_seconds: float = Field(0.0, ge=0)
    max_posts: int = Field(12, ge=1, description="Posts per profile; past 12 pages the timeline.")
    fast_update: bool = Field(True, description="Stop paging at the first post already stored.")
    timeline_query_hash: str | None = Field(
        None, description="query_hash of the timeline endpoint; Instagram changes it."
    )
    www_base_url: str | None = Field(
        None,
        description="Host of the GraphQL endpoint and the profile pages; default "
        "https://www.instagram.com when INSTAGRAM_BASE_URL is Instagram's, else the same host.",
    )
    ipad_app_id: str = Field(IPAD_APP_ID, description="x-ig-app-id of the iPad app.")
    profile_strategies: StrategyList = Field(
        list(PROFILE_STRATEGIES),
        description="Ways to fetch a profile, tried in this order (comma-separated): "
        + ", ".join(PROFILE_STRATEGIES),
    )
    timeline_strategies: StrategyList = Field(
        list(TIMELINE_STRATEGIES),
        description="Ways to fetch timeline pages, in order (comma-separated): "
        + ", ".join(TIMELINE_STRATEGIES),
    )
    profile_doc_id: str = Field(
        PROFILE_DOC_ID, description="GraphQL doc_id of the profile query; Instagram changes it."
    )
    timeline_doc_id: str = Field(
        TIMELINE_DOC_ID, description="GraphQL doc_id of the timeline query; Instagram changes it."
    )
    session_cookies_file: Path | None = Field(
        None,
        description="Cookie export (Netscape cookies.txt or JSON) of a logged-in session, used "
        "only for profiles every anonymous way refuses with a login wall. Unset: no session.",
    )
    session_pacing_seconds: float = Field(
        5.0, ge=0, description="Mean pause before each logged-in request (one at a time)."
    )

    executor: Literal["in_process", "multiprocess", "celery_k8s"] = Field(
        "in_process",
        description="How a run executes its steps: in its own process (one machine), a "
        "process per step, or Celery workers on Kubernetes (needs the celery-k8s extra).",
    )

    sensors: Literal["running", "stopped"] = Field(
        "running",
        description="Whether the sensors (tracked file, refresh, failed runs, automation) start "
        "running with a new Dagster instance; 'stopped' leaves them to be switched on in the UI.",
    )

    modem_url: str = Field("http://127.0.0.1:8000", description="The modem service's address.")

    @field_validator("profile_strategies", "timeline_strategies", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("profile_strategies")
    @classmethod
    def _known_profile(cls, value: list[str]) -> list[str]:
        check_order(value, PROFILE_STRATEGIES, "profile")
        return value

    @field_validator("timeline_strategies")
    @classmethod
    def _known_timeline(cls, value: list[str]) -> list[str]:
        check_order(value, TIMELINE_STRATEGIES, "timeline")
        return value

    def resolved_raw_dir(self) -> Path:
        return self.raw_dir or self.data_dir / "raw"

    def resolved_warehouse_path(self) -> Path:
        return self.warehouse_path or self.data_dir / "warehouse.duckdb"


def default_sensor_status() -> DefaultSensorStatus:
    """The status sensors start with, from ``INTREND_SENSORS``."""
    from dagster import DefaultSensorStatus

    if IntrendSettings().sensors == "stopped":
        return DefaultSensorStatus.STOPPED
    return DefaultSensorStatus.RUNNING
