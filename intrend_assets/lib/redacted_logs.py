"""The redaction point of what a Dagster step writes: its log, its events, its failure.

Everything a step of ours says reaches Dagster through the step's log manager
(``context.log``): the messages our code logs, the events Dagster logs for the step
(materializations and observations with their metadata, the step's failure with the error),
which the log manager's handlers then write to the event log, the compute logs and the
console. :class:`RedactingFilter`, a :class:`logging.Filter` on that log manager, hands every
one of them through :mod:`intrend_assets.redaction` first, so a message nobody foresaw is
scrubbed too, whoever wrote it.

The error of a failing step is also kept by Dagster apart from the log (the run's failure
event quotes its first failed step): :func:`redacted_step` scrubs the exception itself, and
every exception it was raised from, before Dagster sees it, keeping its type and traceback
(retries still see the exception they would have seen).

Every asset, check and op of the code location is wrapped by :func:`redacted_step`.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import dagster as dg
from dagster._core.log_manager import LOG_RECORD_EVENT_ATTR
from dagster._serdes import pack_value, unpack_value

from intrend_assets.redaction import needs_redaction, redact, redact_data

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

# OSError keeps parts of its message apart from ``args`` (str() reads these).
_TEXT_ATTRIBUTES = ("strerror", "filename", "filename2", "description", "reason", "msg")


def _redact_packed(value: T) -> T:
    """``value`` (Dagster's serializable records) with every string in it scrubbed; ``value``
    itself when nothing changed."""
    packed = pack_value(value)
    clean = redact_data(packed)
    return value if clean == packed else unpack_value(clean)


def redact_event(event: dg.DagsterEvent) -> dg.DagsterEvent:
    """``event`` with every string in it scrubbed (``event`` itself when nothing changed).

    A step logs one materialization per partition: an event without an error is first looked
    at through its ``repr`` (every field of Dagster's records, 30 us), and only taken apart
    when that holds something to scrub (about 1 ms)."""
    error = getattr(event.event_specific_data, "error", None)
    if error is None and not needs_redaction(repr(event)):
        return event
    return _redact_packed(event)


class RedactingFilter(logging.Filter):
    """Scrubs a record's message and the Dagster event it carries; lets every record pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        event = getattr(record, LOG_RECORD_EVENT_ATTR, None)
        if isinstance(event, dg.DagsterEvent):
            setattr(record, LOG_RECORD_EVENT_ATTR, redact_event(event))
        return True


def redact_logs(log: logging.Logger) -> None:
    """Put the filter on ``log`` (a step's ``context.log``), once."""
    if not any(isinstance(f, RedactingFilter) for f in log.filters):
        log.addFilter(RedactingFilter())


def scrub_exception(exc: BaseException) -> None:
    """Scrub ``exc`` and the exceptions it was raised from (``__cause__``, ``__context__``,
    those of a group) in place: their arguments, notes, the message parts kept beside the
    arguments (an OSError's file name, a Failure's description)."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        current.args = redact_data(tuple(current.args))
        for name in _TEXT_ATTRIBUTES:
            value = getattr(current, name, None)
            if isinstance(value, str) and redact(value) != value:
                with contextlib.suppress(AttributeError, TypeError):  # read-only on this type
                    setattr(current, name, redact(value))
        if isinstance(current, dg.Failure) and current.metadata:
            current.metadata = _redact_packed(dict(current.metadata))
        notes = getattr(current, "__notes__", None)
        if isinstance(notes, list):
            current.__notes__ = redact_data(notes)
        linked = (current.__cause__, current.__context__)
        todo += [e for e in linked if e is not None]
        if isinstance(current, BaseExceptionGroup):
            todo += list(current.exceptions)


def _filter_step_log() -> None:
    """Put the filter on the running step's log manager (none outside a step: a direct call
    of the function in a test)."""
    try:
        context = dg.OpExecutionContext.get()
    except dg.DagsterInvariantViolationError:
        return
    redact_logs(context.log)


def redacted_step(fn: F) -> F:
    """Wrap an asset's, a check's or an op's function: its log filtered, its error scrubbed.

    Goes under the Dagster decorator (``@dg.asset(...)`` above ``@redacted_step``); keeps the
    function's signature, so Dagster sees the same parameters and resources."""
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def generator(*args: Any, **kwargs: Any) -> Iterator[Any]:
            _filter_step_log()
            try:
                yield from fn(*args, **kwargs)
            except BaseException as exc:
                scrub_exception(exc)
                raise

        generator.redacted = True  # type: ignore[attr-defined]
        return generator  # type: ignore[return-value]

    @functools.wraps(fn)
    def function(*args: Any, **kwargs: Any) -> Any:
        _filter_step_log()
        try:
            return fn(*args, **kwargs)
        except BaseException as exc:
            scrub_exception(exc)
            raise

    function.redacted = True  # type: ignore[attr-defined]
    return function  # type: ignore[return-value]


def is_redacted(fn: Callable[..., Any]) -> bool:
    """True when ``fn`` was wrapped by :func:`redacted_step` (the suite checks every step)."""
    return getattr(fn, "redacted", False) is True
