"""Two runs never rotate the same modem: each route is a Dagster pool of one slot, taken by
the fetch step for as long as it fetches, and given back however the step ends."""

from __future__ import annotations

import io
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from intrend_assets.defs.profiles.assets import raw_profile
from intrend_assets.defs.resources import build_resources
from intrend_assets.fetching.routes import EgressRoute, ModemPool
from intrend_assets.lib.route_pools import claim_routes, release_routes, route_leases, route_pool
from intrend_assets.settings import IntrendSettings
from tests.fakes import FakeInstagram, FakeModem

A, B = EgressRoute("a", FakeModem(), None), EgressRoute("b", FakeModem(), None)


def _held(instance: dg.DagsterInstance, route: str) -> set[str]:
    info = instance.event_log_storage.get_concurrency_info(route_pool(route))
    return {slot.run_id for slot in info.claimed_slots}


def test_a_route_held_by_one_run_is_not_given_to_another() -> None:
    with dg.instance_for_test() as instance:
        assert claim_routes(instance, "run1", "raw_profile", [A]) == [A]
        # run2 asks for both: it gets the free one only, and does not queue for the other.
        assert claim_routes(instance, "run2", "raw_profile", [A, B]) == [B]
        assert claim_routes(instance, "run3", "raw_profile", [A, B]) == []
        assert _held(instance, "a") == {"run1"} and _held(instance, "b") == {"run2"}
        release_routes(instance, "run1", "raw_profile", [A])
        assert claim_routes(instance, "run3", "raw_profile", [A, B]) == [A]
        # A run that died holding its routes: run monitoring frees its slots.
        instance.event_log_storage.free_concurrency_slots_for_run("run2")
        assert claim_routes(instance, "run4", "raw_profile", [B]) == [B]


class _Context:
    """What route_leases reads of a step's context."""

    def __init__(self, instance: dg.DagsterInstance, run_id: str) -> None:
        self.instance = instance
        self.run = type("Run", (), {"run_id": run_id})()
        self.log = type("Log", (), {"info": staticmethod(lambda message: None)})()

    def get_step_execution_context(self):  # type: ignore[no-untyped-def]
        step = type("Step", (), {"key": "raw_profile"})()
        return type("StepContext", (), {"step": step})()


def test_a_step_waits_while_every_route_is_held_and_releases_on_the_way_out() -> None:
    with dg.instance_for_test() as instance:
        first, second = _Context(instance, "run1"), _Context(instance, "run2")
        with route_leases(first, [A, B]) as got:  # type: ignore[arg-type]
            assert list(got) == [A, B]
            with (
                pytest.raises(dg.Failure, match="held by another run"),
                route_leases(second, [A, B], wait_seconds=0.3, poll_seconds=0.1),  # type: ignore[arg-type]
            ):
                pass
        assert _held(instance, "a") == set() and _held(instance, "b") == set()
        with pytest.raises(RuntimeError), route_leases(second, [A, B]):  # type: ignore[arg-type]
            raise RuntimeError("the fetch failed")
        assert _held(instance, "a") == set()  # given back however the step ended


def test_raw_profile_fetches_through_every_route_and_gives_them_back(tmp_path: Path) -> None:
    settings = IntrendSettings(data_dir=tmp_path)
    resources = build_resources(settings)
    names = [f"user{i:02d}" for i in range(12)]
    instagram = FakeInstagram.of(resources["instagram"], {})  # type: ignore[arg-type]
    modems = {"a": FakeModem(), "b": FakeModem()}
    routes = tuple(EgressRoute(name, modem, None) for name, modem in modems.items())
    pool = ModemPool("http://modem.invalid", None, 1.0, routes)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("profiles", names)
        result = dg.materialize(
            [raw_profile],
            instance=instance,
            resources={**resources, "instagram": instagram, "modem": pool},
            tags={
                "dagster/asset_partition_range_start": names[0],
                "dagster/asset_partition_range_end": names[-1],
            },
        )
        assert result.success
        assert _held(instance, "a") == set() and _held(instance, "b") == set()
    batches = sorted((settings.resolved_raw_dir() / "fetch_log").glob("*.parquet"))
    log = pl.concat([pl.read_parquet(io.BytesIO(path.read_bytes())) for path in batches])
    assert set(log["route"]) == {"a", "b"}


def test_with_two_fetch_slots_two_runs_share_the_routes_never_one_modem() -> None:
    routes = [EgressRoute(name, FakeModem(), None) for name in "abcd"]
    with dg.instance_for_test() as instance:
        instance.event_log_storage.set_concurrency_slots("instagram", 2)
        first, second = _Context(instance, "run1"), _Context(instance, "run2")
        with route_leases(first, routes) as one, route_leases(second, routes) as other:  # type: ignore[arg-type]
            assert len(one) == len(other) == 2
            assert {r.name for r in one}.isdisjoint({r.name for r in other})
            for route in routes:
                assert len(_held(instance, route.name)) == 1
