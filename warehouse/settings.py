"""Where the warehouse lives and how much memory its connections take, from ``INTREND_*``
environment variables.

The pipeline and ``intrend-warehouse`` must find the same file, so the code location's
settings extend these rather than declaring them again (the trend report's minimum of
profiles too: the report asset and ``intrend-warehouse report`` rank alike).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WarehouseSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INTREND_", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Root of local data (raw store, warehouse).")
    warehouse_path: Path | None = Field(
        None, description="DuckDB file; default DATA_DIR/warehouse.duckdb."
    )
    warehouse_memory_limit: str = Field(
        "256MB",
        description="DuckDB memory_limit of every warehouse connection (beyond it, DuckDB "
        "spills to disk): without one DuckDB takes 80% of the machine's memory.",
    )
    trend_min_profiles: int = Field(
        3, ge=1, description="Distinct profiles a tag needs in the recent window to be a trend."
    )

    def resolved_warehouse_path(self) -> Path:
        return self.warehouse_path or self.data_dir / "warehouse.duckdb"
