"""The step's redaction point (``intrend_assets.lib.redacted_logs``), on small assets: what a
step logs, the metadata it reports and the error it fails with reach nothing Dagster writes
with a known secret in them, and a retry still sees the exception it would have seen."""

import errno
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from intrend_assets import redaction
from intrend_assets.lib.redacted_logs import is_redacted, redacted_step, scrub_exception
from sandbox.written import occurrences

SECRET = "s3cr3t-Rl8Vq2Xw5Zk"


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[dg.DagsterInstance]:
    redaction.remember(SECRET)
    (tmp_path / "home").mkdir()
    instance = dg.DagsterInstance.local_temp(str(tmp_path / "home"))
    try:
        yield instance
    finally:
        instance.dispose()
        redaction.forget()


def _leaks(instance: dg.DagsterInstance, tmp_path: Path, run_id: str) -> dict[str, list[str]]:
    events = [dg.serialize_value(r) for r in instance.all_logs(run_id)]
    return occurrences([tmp_path / "home"], {"secret": SECRET}, extra=events)


def test_a_failure_from_an_os_error_is_scrubbed_in_the_step_and_run_failure(
    instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    @dg.asset
    @redacted_step
    def failing(context: dg.AssetExecutionContext) -> None:
        context.log.warning(f"about to fail near {SECRET}")
        try:
            raise OSError(errno.EIO, f"I/O error on {SECRET}", f"/mnt/{SECRET}")
        except OSError as exc:
            raise dg.Failure(f"load blocked: {SECRET}", metadata={"where": SECRET}) from exc

    result = dg.materialize([failing], instance=instance, raise_on_error=False)
    assert not result.success
    failure = result.get_step_failure_events()[0]
    assert redaction.REDACTED in failure.step_failure_data.error.to_string()
    assert _leaks(instance, tmp_path, result.run_id) == {}


def test_a_generator_asset_and_its_metadata_are_scrubbed(
    instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    @dg.asset
    @redacted_step
    def yielding(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
        context.log.info("seen %s", SECRET)
        yield dg.MaterializeResult(metadata={"note": f"with {SECRET}", "n": 3})

    result = dg.materialize([yielding], instance=instance)
    stored = instance.get_latest_materialization_event(dg.AssetKey("yielding"))
    assert stored is not None and stored.asset_materialization is not None
    metadata = stored.asset_materialization.metadata
    assert metadata["note"].value == f"with {redaction.REDACTED}" and metadata["n"].value == 3
    assert _leaks(instance, tmp_path, result.run_id) == {}


def test_a_retried_step_still_retries_on_the_scrubbed_exception(
    instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    calls: list[int] = []

    @dg.asset(retry_policy=dg.RetryPolicy(max_retries=1))
    @redacted_step
    def flaky() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError(f"peer reset, echoing {SECRET}")
        return 1

    result = dg.materialize([flaky], instance=instance)
    assert result.success and len(calls) == 2
    assert _leaks(instance, tmp_path, result.run_id) == {}


def test_scrub_exception_reaches_causes_contexts_groups_and_notes() -> None:
    redaction.remember(SECRET)
    try:
        inner = KeyError(SECRET)
        try:
            raise inner
        except KeyError:
            try:
                raise ValueError(f"while handling {SECRET}")
            except ValueError as exc:
                exc.add_note(f"note {SECRET}")
                group = ExceptionGroup("tasks", [exc, RuntimeError(SECRET)])
        scrub_exception(group)
        texts = [str(e) for e in (group, *group.exceptions, inner)]
        texts += group.exceptions[0].__notes__
        assert all(SECRET not in text for text in texts), texts
        assert type(group.exceptions[0]) is ValueError  # types kept: retries decide by them
    finally:
        redaction.forget()


def test_every_step_of_the_code_location_goes_through_the_redaction_point() -> None:
    from intrend_assets.definitions import defs

    ops = {op.name: op for job in defs.resolve_all_job_defs() for op in job.graph.node_defs}
    assert {"raw_profile", "posts", "posts_wide", "ip_log"} <= set(ops)
    unwrapped = [
        name
        for name, op in ops.items()
        if isinstance(op, dg.OpDefinition) and not is_redacted(op.compute_fn.decorated_fn)
    ]
    assert unwrapped == []
