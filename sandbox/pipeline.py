"""The code location wired to the sandbox: ``INTREND_*`` values, resources, the demo's runs.

One home for what the demo, ``intrend dev``, the tests and the benchmarks all did on their
own: map the sandbox's addresses and modem token to the code location's ``INTREND_*``
settings (:func:`intrend_env`), build the resources from them (:func:`sandbox_resources`,
the only place here that knows how settings become resources), and materialize the
pipeline the way the demo does (:func:`run_pipeline`: one ranged run fetching every profile
partition, then the warehouse).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import dagster as dg

MODEM_TOKEN_VARIABLE = "INTREND_MODEM_TOKEN"  # noqa: S105 - the variable's name, not a token


@dataclass(frozen=True)
class Stage:
    """One run of :func:`run_pipeline`: the assets it selects, and whether the asset checks
    are in it (they then run with the assets they watch)."""

    selection: tuple[str, ...]
    checks: bool = False


def demo_stages() -> tuple[Stage, Stage]:
    """The demo's two runs: every profile partition in one ranged run (fetched and loaded),
    then the warehouse tables and what hangs off them, with the asset checks."""
    from intrend_assets.defs.profiles.jobs import PROFILE_ASSETS
    from intrend_assets.defs.warehouse.jobs import WAREHOUSE_ASSETS

    return Stage(tuple(PROFILE_ASSETS)), Stage(tuple(WAREHOUSE_ASSETS), checks=True)


def intrend_env(addresses: Mapping[str, str], modem_token: str, data_dir: Path) -> dict[str, str]:
    """The ``INTREND_*`` environment that points the code location at a running sandbox.

    ``addresses`` is ``SandboxWorld.addresses()`` or the JSON line of ``intrend-sandbox``
    (``instagram_url``, ``proxy_url``, ``modem_url``, maybe ``cdn_url``; ``routes`` with
    several routes, which the first route's proxy and modem also stand for). The sandbox CDN
    is on loopback, which the media downloader refuses unless its origin is named explicitly.
    """
    env = {
        "INTREND_DATA_DIR": str(data_dir),
        "INTREND_INSTAGRAM_BASE_URL": addresses["instagram_url"],
        "INTREND_PROXY_URL": addresses["proxy_url"],
        "INTREND_MODEM_URL": addresses["modem_url"],
        MODEM_TOKEN_VARIABLE: modem_token,
    }
    if addresses.get("cdn_url"):
        env["INTREND_MEDIA_ALLOWED_ORIGINS"] = addresses["cdn_url"]
    if addresses.get("routes"):
        env["INTREND_ROUTES"] = addresses["routes"]
    return env


def sandbox_resources(env: Mapping[str, str], **overrides: Any) -> tuple[Any, dict[str, Any]]:
    """``(settings, resources)`` of the code location on the sandbox ``env`` of
    :func:`intrend_env`, with ``overrides`` (settings fields, ``max_posts=24``) on top.

    Built from values, not from ``os.environ``: a test or benchmark process may hold several
    sandboxes' settings at once."""
    from intrend_assets.definitions import build_resources
    from intrend_assets.settings import IntrendSettings

    fields = {
        name.removeprefix("INTREND_").lower(): value
        for name, value in env.items()
        if name.startswith("INTREND_")
    }
    settings = IntrendSettings(**{**fields, **overrides})
    return settings, build_resources(settings)


def range_tags(keys: Sequence[str]) -> dict[str, str]:
    """Tags that make one run of a partition range (Dagster's ranged-run tags)."""
    return {
        "dagster/asset_partition_range_start": keys[0],
        "dagster/asset_partition_range_end": keys[-1],
    }


def run_pipeline(
    resources: Mapping[str, Any],
    instance: dg.DagsterInstance,
    *,
    stages: Sequence[Stage] | None = None,
    log_level: str = "ERROR",
    raise_on_error: bool = True,
    report_as_of: datetime | None = None,
) -> list[dg.ExecuteInProcessResult]:
    """Materialize ``stages`` (default: :func:`demo_stages`) in turn on ``instance``, one run
    each; a stage that selects ``raw_profile`` is one ranged run over every registered
    ``profiles`` partition. Returns the runs' results; with ``raise_on_error=False`` a
    failed run does not stop the next (the fault benchmark audits what came out).
    ``report_as_of`` ends ``trend_report``'s windows (default: just after the newest post).
    """
    import dagster as dg

    from intrend_assets.definitions import ASSETS
    from intrend_assets.defs.profiles.partitions import profiles_partitions
    from intrend_assets.defs.warehouse.checks import ASSET_CHECKS

    keys = instance.get_dynamic_partitions(profiles_partitions.name)
    quiet = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    results = []
    for stage in stages or demo_stages():
        run_config: dict[str, Any] = dict(quiet)
        if report_as_of is not None and "trend_report" in stage.selection:
            report = {"config": {"as_of": report_as_of.isoformat()}}
            run_config["ops"] = {"trend_report": report}
        results.append(
            dg.materialize(
                [*ASSETS, *ASSET_CHECKS] if stage.checks else ASSETS,
                selection=list(stage.selection),
                resources=resources,
                instance=instance,
                run_config=run_config,
                tags=range_tags(keys) if "raw_profile" in stage.selection else {},
                raise_on_error=raise_on_error,
            )
        )
    return results


def register_profiles(instance: dg.DagsterInstance, usernames: Sequence[str]) -> list[str]:
    """Add ``usernames`` not yet there as ``profiles`` partitions; return every partition."""
    from intrend_assets.defs.profiles.partitions import profiles_partitions

    known = set(instance.get_dynamic_partitions(profiles_partitions.name))
    instance.add_dynamic_partitions(
        profiles_partitions.name, [u for u in usernames if u not in known]
    )
    return list(instance.get_dynamic_partitions(profiles_partitions.name))


def describe_checks(evaluations: Sequence[object]) -> str:
    """One line on a run's asset checks: a failed warning-severity check (one that watches
    the fetch strategies, say) is a warning to read, not a failure of the demo."""
    import dagster as dg

    failed = [e for e in evaluations if not getattr(e, "passed", True)]
    errors = [e.check_name for e in failed if e.severity != dg.AssetCheckSeverity.WARN]  # type: ignore[attr-defined]
    warned = [e.check_name for e in failed if e.severity == dg.AssetCheckSeverity.WARN]  # type: ignore[attr-defined]
    parts = []
    if errors:
        parts.append(f"FAILED {', '.join(errors)}")
    if warned:
        parts.append(f"warning from {', '.join(warned)}")
    return "; ".join(parts) if parts else f"all {len(evaluations)} passed"
