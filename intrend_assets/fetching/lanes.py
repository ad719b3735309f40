"""Opening the lanes of a fetch: for each egress route, a client through its proxy, a client
of its modem service, its rotation gate and its health; all closed together afterwards.

The logged-in session (when one is configured) goes out on the first route only: accounts
get checkpointed for hopping IPs, and one route's rotations are already held off for a
session stint, which another route's could not be.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Sequence

from intrend_assets.fetching.access import InstagramAccess
from intrend_assets.fetching.fetcher import Lane
from intrend_assets.fetching.rotation import RotationGate
from intrend_assets.fetching.routes import EgressRoute, RouteHealth
from intrend_assets.instagram.errors import ConfigurationError
from intrend_assets.redaction import redact


@contextlib.asynccontextmanager
async def open_lanes(
    access: InstagramAccess,
    routes: Sequence[EgressRoute],
    bench_seconds: float,
    *,
    info: Callable[[str], None] | None = None,
    warn: Callable[[str], None] | None = None,
    **gate_options: float,
) -> AsyncIterator[list[Lane]]:
    """One :class:`Lane` per route, inside the running event loop (a single route's client
    is the access's own); ``gate_options`` go to every :class:`RotationGate` (backoffs, in
    tests and benchmarks)."""
    async with contextlib.AsyncExitStack() as stack:
        lanes = []
        for index, route in enumerate(routes):
            through = access if len(routes) == 1 else access.through(route)
            client = through.open_client()
            stack.push_async_callback(client.aclose)
            session = through.open_session_client(pool_of=client) if index == 0 else None
            if session is not None:
                stack.push_async_callback(session.aclose)
                if info is not None:
                    info("a logged-in session is configured for login-walled profiles")
            modem = route.modem.open_client()
            stack.push_async_callback(modem.aclose)
            try:
                first_ip = await modem.current_ip()
            except ConfigurationError:  # a refused token: no fetch may start on it
                raise
            except Exception as exc:  # the gate copes with a modem that is down; say so
                if warn is not None:
                    where = "" if len(routes) == 1 else f" (route {route.name})"
                    warn(redact(f"modem service unreachable at start{where}: {exc}"))
                first_ip = None
            gate = RotationGate(modem.rotate, current_ip=first_ip, **gate_options)  # type: ignore[arg-type]
            health = RouteHealth(route.name, modem.current_ip, bench_seconds)
            lanes.append(Lane(route.name, access.bind(client, session), gate, health))
        yield lanes
