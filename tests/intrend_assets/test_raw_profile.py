"""``raw_profile`` in one process: the deployment's resources with Instagram and the modem faked.

One ranged run over a few profiles, as the sensors and schedules launch it, shows what the
asset adds to the fetch loop: the raw store's objects and failure records, the rotation a
rate limit costs, the run's metadata and the request-log batch ``fetch_log`` loads.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl
import pytest

from intrend_assets.defs.profiles.assets import raw_profile
from intrend_assets.defs.resources import build_resources, instagram_access
from intrend_assets.lib.ranged_runs import range_run_requests
from intrend_assets.raw_store.store import LocalRawStore, decompress
from intrend_assets.settings import IntrendSettings
from tests.fakes import LIMITED_ONCE, UNKNOWN, WALLED, Behaviour, FakeInstagram, FakeModem

SCRIPT: dict[str, Behaviour] = {"ghost": UNKNOWN, "hidden": WALLED, "busy": LIMITED_ONCE}
NAMES = ["alice", "ghost", "hidden", "busy", "bob"]


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("profiles", NAMES)
        yield instance


def _run(
    settings: IntrendSettings,
    instance: dg.DagsterInstance,
    script: Mapping[str, Behaviour] = SCRIPT,
) -> tuple[dg.ExecuteInProcessResult, FakeInstagram, FakeModem]:
    instagram = FakeInstagram.of(instagram_access(settings), script)
    modem = FakeModem()
    (request,) = range_run_requests(NAMES)
    result = dg.materialize(
        [raw_profile],
        resources={**build_resources(settings), "instagram": instagram, "modem": modem},
        instance=instance,
        tags=request.tags,
    )
    return result, instagram, modem


def _metadata(result: dg.ExecuteInProcessResult) -> dict[str, Any]:
    """The run's metadata (each partition's materialization carries the same)."""
    event = result.asset_materializations_for_node("raw_profile")[0]
    return {key: value.value for key, value in event.metadata.items()}


def test_a_ranged_run_stores_records_rotates_and_reports(
    tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    settings = IntrendSettings(data_dir=tmp_path)
    result, instagram, modem = _run(settings, instance)
    assert result.success
    store = LocalRawStore(settings.resolved_raw_dir())

    # Every partition of the range ran in the one step; only the stored ones are
    # materialized, the others carry an observation saying why.
    materialized = {m.partition for m in result.asset_materializations_for_node("raw_profile")}
    assert materialized == {"alice", "bob", "busy"}
    observed = {
        e.asset_observation_data.asset_observation.partition: e.asset_observation_data
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_OBSERVATION
    }
    assert set(observed) == {"ghost", "hidden"}
    ghost = observed["ghost"].asset_observation.metadata
    assert ghost["outcome"].value == "not_found"

    # The answers as they came, one object each, for the profiles Instagram served.
    assert sorted(store.usernames()) == ["alice", "bob", "busy"]
    latest = store.latest("busy")
    assert latest is not None
    assert b'"username": "busy"' in decompress(store.read(latest.key))
    assert {obj.username for obj in store.pending()} == {"alice", "bob", "busy"}

    # The others, recorded with their reasons for the refresh sensor to retry.
    failures = {record["username"]: record for record in store.failures()}
    assert set(failures) == {"ghost", "hidden"}
    assert failures["ghost"]["outcome"] == "not_found"
    assert failures["hidden"]["outcome"] == "login_wall"
    assert "web_profile_info" in str(failures["hidden"]["reason"])
    assert "embedded_page" in str(failures["hidden"]["reason"])  # every strategy was tried

    # The 429 cost one rotation, and the retry went through on the new IP.
    assert modem.rotations == 1
    assert [s for s, name in instagram.requests if name == "busy"] == ["web_profile_info"] * 2

    metadata = _metadata(result)
    assert metadata["profiles"] == len(NAMES)
    assert metadata["stored"] == 3
    assert metadata["failed"] == 2
    assert metadata["login_walled"] == 1
    assert metadata["rotations"] == 1
    assert metadata["served_by_strategy"] == {"web_profile_info": 3}
    assert set(metadata["failed_profiles"]) == {"ghost", "hidden"}
    assert metadata["requests"] == len(instagram.requests)

    # One request-log batch for the run, every request in it, with the IP it left from.
    (batch,) = store.logs()
    assert (
        batch.key == f"fetch_log/{result.run_id}-0-00000.parquet"
    )  # run, retry, batch (written as it goes)
    log = pl.read_parquet(io.BytesIO(store.read_log(batch.key)))
    assert log.height == len(instagram.requests)
    busy = log.filter(pl.col("username") == "busy").sort("attempt")
    assert busy["outcome"].to_list() == ["rate_limited", "ok"]
    assert busy["egress_ip"].n_unique() == 2  # retried after the rotation


def test_the_settings_strategy_order_is_followed_and_pages_counted(
    tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    settings = IntrendSettings(
        data_dir=tmp_path, profile_strategies=["graphql_doc_id", "embedded_page"]
    )
    result, instagram, _ = _run(settings, instance, script={"ghost": UNKNOWN})
    assert result.success
    metadata = _metadata(result)
    # graphql_doc_id's profile answer carries no posts: its first timeline page is fetched.
    assert metadata["served_by_strategy"] == {"graphql_doc_id": len(NAMES) - 1}
    assert metadata["timeline_pages"] == len(NAMES) - 1
    assert {s for s, _ in instagram.requests} == {"graphql_doc_id"}
    store = LocalRawStore(settings.resolved_raw_dir())
    assert [r["username"] for r in store.failures()] == ["ghost"]


def test_a_refused_modem_token_stops_the_run_before_any_lookup_and_without_retries(
    instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    """A 401/403 from the modem service at the first IP check is a configuration error: the
    run fails at once (no lookup sent on an IP we could never rotate, no step retry)."""
    from intrend_assets.fetching.modem_client import ModemRejected
    from tests.fakes import FakeModemClient

    class RefusingClient(FakeModemClient):
        async def current_ip(self) -> str | None:
            raise ModemRejected("GET /ip: HTTP 401 (check INTREND_MODEM_TOKEN)")

    class RefusingModem(FakeModem):
        def open_client(self) -> FakeModemClient:  # type: ignore[override]
            return RefusingClient(self.state)

    settings = IntrendSettings(data_dir=tmp_path)
    instagram = FakeInstagram.of(instagram_access(settings), SCRIPT)
    (request,) = range_run_requests(NAMES)
    result = dg.materialize(
        [raw_profile],
        resources={**build_resources(settings), "instagram": instagram, "modem": RefusingModem()},
        instance=instance,
        tags=request.tags,
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "INTREND_MODEM_TOKEN" in str(failure.step_failure_data.error)
    assert not any(e.event_type_value == "STEP_UP_FOR_RETRY" for e in result.all_events)
    assert instagram.requests == []
