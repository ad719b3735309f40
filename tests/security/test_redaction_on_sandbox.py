"""One redaction point for everything a run writes, tried on the sandbox with real secrets.

A small pipeline (raw_profile, posts, the warehouse) runs on the offline sandbox with a modem
token, a proxy password and a logged-in session cookie, all of which the sandbox really
checks or serves. Three errors nobody foresaw quote the three values bare (no header or URL
around them for the shape patterns to catch), each where a different writer takes it:

- a transport error for one profile (the fetcher's failure record, ``failed_profiles``);
- a failing metrics push (a warning logged by the step);
- an OS error while ``posts`` loads (the step's failure, the run's failure, the compute log).

Then every file under DAGSTER_HOME (event log, run storage, compute logs) and the data folder
(raw store, request log, warehouse) is read as its reader would (``sandbox/written.py``),
with the console output, and none of the values may be anywhere.
"""

from __future__ import annotations

import errno
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pytest

import intrend_assets.lib.metrics_push as metrics_push
import intrend_assets.loading.queue as queue
from intrend_assets import redaction
from intrend_assets.instagram.strategies import PROFILE_STRATEGIES
from intrend_assets.lib.instance import instance_yaml
from sandbox.pipeline import intrend_env, register_profiles, run_pipeline, sandbox_resources
from sandbox.world import SandboxConfig, SandboxWorld, start_sandbox
from sandbox.written import occurrences

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "mdm-Tk7Qx2vL9pRt4sK8"
PROXY_PASSWORD = "pxy-Pw3nB6cD1fG5hJ"
SESSION = "sess-Ck9zX4yW2vU7tS1r"
SECRETS = {"modem token": TOKEN, "proxy password": PROXY_PASSWORD, "session cookie": SESSION}
# What an unforeseen error might say: the values bare, nothing around them to recognise.
LEAK = f"odd answer, echoing {TOKEN} {PROXY_PASSWORD} {SESSION}"
VICTIM_INDEX = 2  # the profile whose requests fail with LEAK


@pytest.fixture
def world() -> Iterator[SandboxWorld]:
    config = SandboxConfig(
        profiles=10,
        seed=5,
        speed=1e-6,
        rotation_seconds=0.2e-6,
        modem_token=TOKEN,
        session_ids=(SESSION,),
    )
    with start_sandbox(config) as world:
        yield world
    redaction.forget()


def _cookie_file(folder: Path) -> Path:
    path = folder / "cookies.json"
    cookie = {"name": "sessionid", "value": SESSION, "domain": ".instagram.com"}
    path.write_text(json.dumps([cookie]))
    path.chmod(0o600)
    return path


def _provoke(monkeypatch: pytest.MonkeyPatch, victim: str) -> dict[str, int]:
    """The three unforeseen errors; counts of how often each was raised."""
    raised = {"transport": 0, "push": 0, "load": 0}
    send = httpx.AsyncClient.send

    async def leaky_send(self: httpx.AsyncClient, request: httpx.Request, **kw: Any) -> Any:
        if victim in str(request.url) or victim.encode() in request.content:
            raised["transport"] += 1
            raise httpx.ProxyError(LEAK, request=request)
        return await send(self, request, **kw)

    def failing_push(*args: Any, **kwargs: Any) -> None:
        raised["push"] += 1
        raise OSError(errno.ECONNREFUSED, LEAK)

    real_load = queue.load_parsed

    def failing_load(con: Any, batch: Any) -> Any:
        if raised["load"] == 0:
            raised["load"] += 1
            raise OSError(errno.EIO, LEAK, f"/mnt/{SESSION}/warehouse.duckdb.wal")
        return real_load(con, batch)

    monkeypatch.setattr(httpx.AsyncClient, "send", leaky_send)
    monkeypatch.setattr(metrics_push, "pushadd_to_gateway", failing_push)
    monkeypatch.setattr(queue, "load_parsed", failing_load)
    return raised


@pytest.mark.timeout(300)
def test_secrets_quoted_by_unforeseen_errors_are_nowhere_a_run_writes(
    world: SandboxWorld,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    data_dir, home = tmp_path / "data", tmp_path / "dagster-home"
    home.mkdir()
    (home / "dagster.yaml").write_text(instance_yaml(ROOT))
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    urls = world.addresses()
    _, resources = sandbox_resources(
        intrend_env(urls, TOKEN, data_dir),
        proxy_url=urls["proxy_url"].replace("http://", f"http://intrend:{PROXY_PASSWORD}@"),
        session_cookies_file=str(_cookie_file(tmp_path)),
        session_pacing_seconds=0.0,
        pushgateway_url="http://127.0.0.1:9",
        max_posts=24,
        max_attempts=1,
    )
    names = list(world.usernames())[:8]
    victim = names[VICTIM_INDEX]
    # A share of the profiles is login-walled on every anonymous strategy: the session (its
    # cookie in the requests) serves them.
    world.faults.set(login_wall=dict.fromkeys(PROFILE_STRATEGIES, 0.5))
    raised = _provoke(monkeypatch, victim)
    instance = dg.DagsterInstance.get()
    try:
        register_profiles(instance, names)
        first = run_pipeline(resources, instance, log_level="DEBUG", raise_on_error=False)
        again = run_pipeline(resources, instance, log_level="DEBUG", raise_on_error=False)
        runs = [*first, *again]
        events = [
            dg.serialize_value(record)
            for result in runs
            for record in instance.all_logs(result.run_id)
        ]
    finally:
        instance.dispose()
    output = capfd.readouterr()

    # Each error happened where it was meant to: the victim failed, a push warned, the first
    # posts run failed on the load and the second loaded what the first left queued.
    assert raised["transport"] >= 1 and raised["push"] >= 1 and raised["load"] == 1, raised
    assert not first[0].success and all(result.success for result in again)
    assert any("metrics not pushed" in event for event in events)
    failures = list((data_dir / "raw" / "failures").glob("*.json"))
    assert any(victim in json.loads(p.read_text())["username"] for p in failures)
    assert any(redaction.REDACTED in event for event in events)

    found = occurrences([data_dir, home], SECRETS, extra=[*events, output.out, output.err])
    assert found == {}, found
