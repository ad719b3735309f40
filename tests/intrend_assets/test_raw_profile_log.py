"""``raw_profile`` on in-process fakes of Instagram and the modem: what the step does when the
fetch stops part way (the request log is kept, a configuration error is not retried)."""

import asyncio
import io
import json
from pathlib import Path

import dagster as dg
import polars as pl

from intrend_assets.defs.profiles.assets import raw_profile
from intrend_assets.fetching.modem_client import Rotation
from intrend_assets.fetching.request_log import RequestLog
from intrend_assets.instagram.http import Answer
from intrend_assets.lib.metrics_push import MetricsGateway
from intrend_assets.raw_store.store import LocalRawStore
from tests import defaults, scripted

NAMES = [f"user{i:02d}" for i in range(40)]
MISMATCH = b'{"message":"useragent mismatch","status":"fail"}'


class FakeClient:
    async def aclose(self) -> None:
        pass


class FakeInstagram:
    """Answers ``good`` requests, then "useragent mismatch" (Instagram changed its check)."""

    def __init__(self, good: int) -> None:
        self.good = good
        self.sent = 0
        self.opened = 0
        self.policy = defaults.policy(concurrency=4)

    def open_client(self) -> FakeClient:
        self.opened += 1
        return FakeClient()

    def open_session_client(self, pool_of: FakeClient | None = None) -> None:
        return None

    def bind(self, client: FakeClient, session_client: None):  # type: ignore[no-untyped-def]
        async def get_profile(username: str) -> Answer:
            await asyncio.sleep(0.001)
            self.sent += 1
            if self.sent > self.good:
                return Answer(401, MISMATCH, 1.0)
            user = {"id": "1", "username": username, "is_private": False}
            return Answer(200, json.dumps({"data": {"user": user}}).encode(), 1.0)

        return scripted.bound(get_profile)


class FakeModem:
    def open_client(self) -> "FakeModem":
        return self

    async def current_ip(self) -> str:
        return "10.0.0.1"

    async def rotate(self) -> Rotation:
        return Rotation("10.0.0.1", "10.0.0.2", True, 1, 1)

    async def aclose(self) -> None:
        pass


def test_a_configuration_error_keeps_the_log_and_is_not_retried(tmp_path: Path) -> None:
    instagram, store = FakeInstagram(good=36), LocalRawStore(tmp_path)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("profiles", NAMES)
        result = dg.materialize(
            [raw_profile],
            resources={
                "instagram": instagram,
                "modem": FakeModem(),
                "raw_store": store,
                "metrics": MetricsGateway(None),
            },
            instance=instance,
            tags={
                "dagster/asset_partition_range_start": NAMES[0],
                "dagster/asset_partition_range_end": NAMES[-1],
            },
            raise_on_error=False,
        )
    assert not result.success
    assert instagram.opened == 1  # the step ran once: no retry of a configuration error
    [failure] = result.get_step_failure_events()
    assert "useragent mismatch" in str(failure.step_failure_data.error)
    logged = pl.concat([pl.read_parquet(io.BytesIO(store.read_log(e.key))) for e in store.logs()])
    assert logged.height == instagram.sent  # every answered request is in the log
    assert logged.filter(pl.col("outcome") == "ok").height == 36


def test_the_log_is_handed_over_in_batches_as_it_grows() -> None:
    batches: list[int] = []
    log = RequestLog("run", "default", lambda rows: batches.append(len(rows)), flush_rows=10)
    for i in range(25):
        log.record(f"u{i}", "web_profile_info", "profile", False, None, "ok", 1, None, 0)
    assert batches == [10, 10]  # written while the fetch goes on
    log.flush()
    log.flush()  # nothing new: nothing written twice
    assert batches == [10, 10, 5] and len(log.rows) == 25
