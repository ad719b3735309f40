"""The queue's slices parsed ahead of the load, in this process or in parse processes.

The parse is Python and the load mostly DuckDB, so with two cores a slice parsed in another
process while this one loads the previous keeps both busy. The processes are ``spawn``ed (a
fork of a Dagster run would share and count its memory twice) and are this load's only:

- an error or an early stop of the load (the consumer closes the generator) cancels the
  slices not started and terminates the processes, instead of waiting for them;
- a parse process whose parent dies (SIGKILL of the run) exits within a second, rather than
  waiting on its task queue for ever (:func:`_exit_with_parent`);
- a parse process that dies (the OOM killer) raises ``BrokenProcessPool`` in the load, an
  error of the environment: the fetches stay queued.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from intrend_assets.loading.slices import ParsedFetch, ParsedSlice, Parser, parse_slice
from intrend_assets.parsing.profile import parse_profile
from intrend_assets.raw_store.store import RawObject, RawStore

# How often a parse process looks whether the load that started it is still there.
PARENT_POLL_SECONDS = 0.5


def parsed_slices(
    store: RawStore,
    slices: list[list[RawObject]],
    workers: int,
    parse: Parser = parse_profile,
) -> Iterator[tuple[list[RawObject], list[ParsedFetch]]]:
    """Each slice with its fetches parsed (a fetch queued, then deleted from the store by
    hand, has ``size`` -1 and is not parsed), in order, at most ``workers + 1`` ahead.

    ``workers`` is the number of parse processes. One is enough to overlap the parse of a
    slice with the load of the one before; 0, or a single slice, parses here (a process
    costs its start and its imports, more than one slice's parse). ``parse`` goes to the
    processes by name: a module-level function."""
    stored = [[o for o in objects if o.size >= 0] for objects in slices]
    limit = store.max_object_bytes
    if workers < 1 or len(slices) < 2:
        for objects, present in zip(slices, stored, strict=True):
            yield objects, parse_slice(store, present, parse, limit).fetches()
        return
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        workers, mp_context=context, initializer=_exit_with_parent, initargs=(os.getpid(),)
    )
    finished = False
    try:
        ahead: deque[tuple[list[RawObject], Future[ParsedSlice]]] = deque()
        for objects, present in zip(slices, stored, strict=True):
            ahead.append((objects, pool.submit(parse_slice, store, present, parse, limit)))
            if len(ahead) > workers:
                objects, future = ahead.popleft()
                yield objects, future.result().fetches()
        while ahead:
            objects, future = ahead.popleft()
            yield objects, future.result().fetches()
        finished = True
    finally:
        _stop(pool, finished)


def _stop(pool: ProcessPoolExecutor, finished: bool) -> None:
    """Shut the pool down; unless every slice was taken, without waiting for the parses in
    flight: their processes are terminated."""
    if finished:
        pool.shutdown(wait=True)
        return
    # ProcessPoolExecutor has no public way to stop work already started (3.14 adds
    # terminate_workers); its process table is the one handle on them.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)


def _exit_with_parent(parent: int) -> None:
    """In a parse process: exit as soon as ``parent`` is gone (re-parented, getppid moves)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
