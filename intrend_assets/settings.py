"""Typed settings of the code location, from ``INTREND_*`` environment variables.

Only configuration differs between a laptop on the sandbox and a deployment on the real modem:
the code reads everything from here (secrets only from the environment).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field

if TYPE_CHECKING:
    from dagster import DefaultSensorStatus
from pydantic_settings import BaseSettings, SettingsConfigDict


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
