"""A whole run on the sandbox with padded secrets, then everything it wrote searched for them.

The modem token ends in a newline (a Kubernetes secret made from a file), the session's JSON
cookie export has a trailing space, the proxy URL carries a password. The run must work (the
secrets are stripped on load), and none of the three values may be anywhere the run wrote:
Dagster's SQLite event log, run and execution-plan snapshots, compute logs, the raw store,
the request log, the warehouse, the materializations' metadata, the process's own output.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg
import httpx
import pytest

from sandbox.pipeline import (
    MODEM_TOKEN_VARIABLE,
    Stage,
    register_profiles,
    run_pipeline,
    sandbox_resources,
)
from sandbox.world import SandboxConfig, start_sandbox
from sandbox.written import occurrences

pytestmark = pytest.mark.slow

SESSION = "sandbox-session-Sx9SecretCookie-41"
CSRF = "csrf-Qm3SecretValue-88"  # distinctive, to grep for
PROXY_PASSWORD = "pRoXy-Qz81-secretpw"


def _cookie_file(folder: Path) -> Path:
    path = folder / "cookies.json"
    cookies = [
        {"name": "sessionid", "value": f"{SESSION} ", "domain": ".instagram.com"},
        {"name": "csrftoken", "value": f"{CSRF}\n", "domain": ".instagram.com"},
    ]
    path.write_text(json.dumps(cookies))
    os.chmod(path, 0o600)
    return path


def _stored_texts(instance: dg.DagsterInstance) -> list[str]:
    """What Dagster's storage gives back: every event of every run, and the runs'
    snapshots (job and execution plan), serialized as the UI would read them."""
    texts = []
    for run in instance.get_runs():
        texts.append(dg.serialize_value(run))
        for record in instance.all_logs(run.run_id):
            texts.append(dg.serialize_value(record))
        if run.job_snapshot_id:
            texts.append(dg.serialize_value(instance.get_job_snapshot(run.job_snapshot_id)))
        if run.execution_plan_snapshot_id:
            plan = instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)
            texts.append(dg.serialize_value(plan))
    return texts


def _code_location_run(
    env: dict[str, str], instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> dg.ExecuteInProcessResult:
    """``profiles_job`` of the code location as Dagster loads it: the settings read from the
    environment, the definitions built from them (``build_defs``), one partition run."""
    from intrend_assets.definitions import build_defs

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("INTREND_PROFILE_STRATEGIES", "web_profile_info")
    monkeypatch.setenv("INTREND_SESSION_PACING_SECONDS", "0")
    job = build_defs().resolve_job_def("profiles_job")
    key = instance.get_dynamic_partitions("profiles")[0]
    return job.execute_in_process(instance=instance, partition_key=key, raise_on_error=False)


def test_padded_secrets_work_and_appear_nowhere_a_run_writes(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = SandboxConfig(profiles=20, seed=3, budget=6, speed=30.0, session_ids=(SESSION,))
    secrets_dir, home = tmp_path / "secrets", tmp_path / "dagster"
    secrets_dir.mkdir()
    home.mkdir()
    with start_sandbox(config) as world:
        # Every anonymous lookup meets the login wall: the session serves every profile.
        walls = {"login_wall": {"web_profile_info": 1.0}}
        assert httpx.post(f"{world.instagram_url}/_sandbox/faults", json=walls).is_success
        token = world.modem_token
        env = world.intrend_env(tmp_path / "data")
        env[MODEM_TOKEN_VARIABLE] = f"{token}\n"
        env["INTREND_PROXY_URL"] = env["INTREND_PROXY_URL"].replace(
            "http://", f"http://intrend:{PROXY_PASSWORD}@"
        )
        env["INTREND_SESSION_COOKIES_FILE"] = str(_cookie_file(secrets_dir))
        instance = dg.DagsterInstance.local_temp(str(home))
        try:
            names = register_profiles(instance, world.public_usernames()[:10])
            _, resources = sandbox_resources(
                env, profile_strategies=["web_profile_info"], session_pacing_seconds=0.0
            )
            results = run_pipeline(
                resources,
                instance,
                stages=[Stage(("raw_profile", "posts"))],
                log_level="DEBUG",
                raise_on_error=False,
            )
            results.append(_code_location_run(env, instance, monkeypatch))
            stored = _stored_texts(instance)
            jobs = sorted(run.job_name for run in instance.get_runs())
        finally:
            instance.dispose()
    out, err = capfd.readouterr()
    metadata = [
        json.dumps({k: str(v) for k, v in m.metadata.items()})
        for r in results
        for m in r.asset_materializations_for_node("raw_profile")
    ]
    found = occurrences(
        [tmp_path / "data", home],
        {"modem token": token, "session": SESSION, "csrf": CSRF, "proxy": PROXY_PASSWORD},
        extra=[out, err, *metadata, *stored],
    )
    assert found == {}, json.dumps(found, indent=1)
    # The stripped secrets worked: every profile was served through the session, and the
    # modem rotated when the IP's budget ran out.
    assert all(r.success for r in results)
    assert jobs == ["__ephemeral_asset_job__", "profiles_job"]
    raw = results[0].asset_materializations_for_node("raw_profile")[0].metadata
    assert raw["stored"].value == len(names)
    assert raw["served_by_strategy"].value == {"web_profile_info+session": len(names)}
    assert raw["rotations"].value >= 1
