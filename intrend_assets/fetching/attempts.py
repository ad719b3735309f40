"""One logical request with its retries: what each kind of refusal costs and what fixes it.

Rate-limit answers rotate the modem (once for all concurrent requests, through the
:class:`~.rotation.RotationGate`) and retry the same request; upstream and network errors
back off and retry; every other refusal is final for this strategy and goes to the caller.
Every request sent is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable

from intrend_assets.fetching.policy import FetchPolicy
from intrend_assets.fetching.report import GaveUp
from intrend_assets.fetching.routes import RouteDown
from intrend_assets.fetching.run import FetchRun
from intrend_assets.fetching.throttle import FRESH_IPS_IN_A_ROW
from intrend_assets.instagram.errors import (
    ConfigurationError,
    FetchError,
    LoginWall,
    NetworkError,
    ProfileNotFound,
    ProfileRefused,
    RateLimited,
    StrategyGone,
    StrategyThrottled,
    UpstreamError,
)
from intrend_assets.instagram.http import Answer

# Answers that spend no lookup budget: a refusal, or an error before Instagram answered.
_UNSPENT = (RateLimited, UpstreamError, NetworkError)


def backoff(policy: FetchPolicy, attempt: int) -> float:
    """Exponential from ``backoff_seconds`` at the first retry, jittered by ±50%."""
    base = min(policy.max_backoff_seconds, policy.backoff_seconds * 2 ** max(0, attempt - 1))
    return base * random.uniform(0.5, 1.5)


class Requester:
    def __init__(self, run: FetchRun) -> None:
        self.run = run
        self._session_turn = asyncio.Lock()  # one logged-in request at a time
        self._stint_members = 0
        self._stint_entry = asyncio.Lock()
        self._stint_hold: contextlib.AbstractAsyncContextManager[int] | None = None

    @contextlib.asynccontextmanager
    async def session_stint(self) -> AsyncIterator[None]:
        """One profile's logged-in requests, on one IP with those of the profiles beside it.

        Accounts get checkpointed for hopping IPs, so the session keeps the IP for its whole
        stint (its consecutive requests): the first profile to enter takes a hold on the
        gate, the last to leave gives it back. Rotations wanted meanwhile wait (and keep
        anonymous requests waiting); a profile arriving once one is wanted waits for it.
        """
        gate = self.run.gate
        while True:
            async with self._stint_entry:
                if self._stint_hold is None:  # the first one in takes the hold
                    hold = gate.hold()
                    await hold.__aenter__()
                    self._stint_hold = hold
                    break
                if not gate.rotating:
                    break
            # A rotation is wanted: it runs once the stint under way ends; join after it.
            await gate.wait_open()
        self._stint_members += 1
        try:
            yield
        finally:
            self._stint_members -= 1
            if self._stint_members == 0 and self._stint_hold is not None:
                hold, self._stint_hold = self._stint_hold, None
                await hold.__aexit__(None, None, None)

    async def _pace(self, session: bool) -> None:
        policy = self.run.policy
        if session:
            seconds = policy.session_pacing_seconds
            if seconds > 0:
                await asyncio.sleep(random.uniform(0.5 * seconds, 1.5 * seconds))
        elif policy.pacing == "fixed" and policy.pacing_seconds > 0:
            await asyncio.sleep(policy.pacing_seconds)
        elif policy.pacing == "jittered" and policy.pacing_seconds > 0:
            await asyncio.sleep(random.uniform(0, 2 * policy.pacing_seconds))

    async def _send(
        self,
        call: Callable[[], Awaitable[Answer]],
        classify: Callable[[Answer], str],
        session: bool,
        strategy: str = "",
        lookup: bool = False,
        probe: bool = False,
    ) -> tuple[Answer | None, str | FetchError, int, str | None]:
        """Send once: (answer, verdict, generation sent under, egress IP). An anonymous
        profile lookup also waits out a burst pause, keeps the burst spacing and goes to an
        IP with budget left (:mod:`.budget`)."""
        gate = self.run.gate
        answer: Answer | None = None
        if session:  # inside a stint (:meth:`session_stint`): the IP cannot change
            async with self._session_turn:
                await self._pace(True)
                generation, ip = gate.generation, gate.current_ip
                try:
                    answer = await call()
                    return answer, classify(answer), generation, ip
                except FetchError as exc:
                    return answer, exc, generation, ip
        generation = await gate.wait_open()
        if not lookup:
            return await self._call(call, classify, generation)
        run = self.run
        await run.burst.before_lookup(probe)
        generation = await run.budget.admit(run.policy.rotate, probe)
        key = f"profile:{strategy}"
        held_back = run.is_benched("profile", strategy) or run.throttles.trial_under_way(key)
        if held_back and not probe and run.others_open("profile", strategy, False):
            # Benched while this lookup waited its turn, or back from the bench with its
            # trial lookup under way: this one would only be refused too.
            raise StrategyThrottled("benched or on trial: not sent")
        trial = run.throttles.start_trial(key)
        run.budget.sent(generation)
        spent = False
        try:
            sent = await self._call(call, classify, generation)
            spent = not isinstance(sent[1], _UNSPENT)
            return sent
        finally:
            run.budget.done(generation, strategy, spent)
            if trial:
                run.throttles.end_trial(key)

    async def _call(
        self,
        call: Callable[[], Awaitable[Answer]],
        classify: Callable[[Answer], str],
        generation: int,
    ) -> tuple[Answer | None, str | FetchError, int, str | None]:
        ip = self.run.gate.current_ip
        await self._pace(False)
        answer: Answer | None = None
        try:
            answer = await call()
            return answer, classify(answer), generation, ip
        except FetchError as exc:
            return answer, exc, generation, ip

    def _throttled(self, kind: str, strategy: str, generation: int) -> bool:
        """Whether this rate limit shows ``strategy`` throttled for everyone (benching it),
        or it already is benched: then the request moves on rather than rotating.

        Only while another strategy is open: with nowhere else to go, rotating and waiting
        is all that is left.
        """
        run = self.run
        key = f"{kind}:{strategy}"
        fresh = generation in run.gate.fresh
        throttled = run.throttles.answered(key, generation, fresh, True)
        if not run.others_open(kind, strategy, False):
            return False
        if run.is_benched(kind, strategy):
            return True  # benched while this request was in flight
        # Back from a bench and limited on an IP where other strategies get through: the IP
        # has budget, so the strategy is still throttled (no two fresh IPs needed again).
        still = (
            kind == "profile"
            and run.throttles.returning(key)
            and run.budget.others_answered(generation, strategy)
        )
        if not throttled and not still:
            return False
        run.throttles.bench(key)
        if run.warn is not None:
            run.warn(
                f"{kind} strategy {strategy!r} is rate-limited whatever the IP; benched for "
                f"{run.policy.bench_seconds:g} s, profiles move to the next strategy"
            )
        return True

    async def _burst(self, strategy: str, generation: int, epoch: int) -> str:
        """Whether a pause (now, or since the request was sent) stands in for a rotation."""
        stats = self.run.gate.stats
        cost = stats.rotation_seconds if stats.rotations else None  # in all, this run
        return await self.run.burst.limited(generation, strategy, epoch, cost)

    async def request(
        self,
        username: str,
        strategy: str,
        call: Callable[[], Awaitable[Answer]],
        classify: Callable[[Answer], str],
        *,
        kind: str = "profile",
        session: bool = False,
    ) -> tuple[Answer, str, int]:
        """One logical request with retries: returns (answer, kind, attempts) or raises.

        Raises ProfileNotFound / LoginWall / StrategyGone / StrategyThrottled (final for this
        strategy), ConfigurationError (stop the run) or GaveUp (attempts exhausted). A
        logged-in request never rotates the IP: it is sent inside a session stint, and waits
        out a rate limit instead.

        Longer than our ~60-line rule on purpose: one loop holds the attempt's state (errors,
        limits, the burst probe, the rotation generation it was sent under), and every branch
        decides on that state; split into functions, each would take and return all of it.
        """
        run, policy = self.run, self.run.policy
        errors = limited = attempt = 0
        probe = False
        while True:
            attempt += 1
            if run.route_benched():
                raise RouteDown(f"route {run.route} is benched")
            lookup = kind == "profile" and not session
            epoch = run.burst.epoch
            answer, verdict, generation, ip = await self._send(
                call, classify, session, strategy, lookup, probe
            )
            if probe and not isinstance(verdict, (str, RateLimited)):
                run.burst.probe_done()
            probe = False
            outcome = verdict if isinstance(verdict, str) else verdict.outcome
            run.log.record(
                username,
                strategy,
                kind,
                session,
                answer,
                outcome,
                attempt,
                ip,
                run.gate.generation,
                run.route,
            )
            if isinstance(verdict, str):
                assert answer is not None
                run.answered(kind, strategy)
                if lookup:
                    run.burst.answered(generation, strategy)
                if not session:
                    run.throttles.answered(f"{kind}:{strategy}", generation, False, False)
                run.report.bytes_raw += len(answer.body)
                return answer, verdict, attempt
            exc = verdict
            limited_here = isinstance(exc, RateLimited)
            if limited_here and not session and self._throttled(kind, strategy, generation):
                raise StrategyThrottled(
                    f"rate limited on {FRESH_IPS_IN_A_ROW} fresh IPs in a row: benched for "
                    f"{policy.bench_seconds:g} s",
                    status=exc.status,
                )
            if limited_here and lookup and policy.rotate:
                after_pause = await self._burst(strategy, generation, epoch)
                if after_pause != "rotate":
                    # A pause ran: the limit may have been a burst, not the IP used up.
                    probe = after_pause == "probe"
                    continue
            if isinstance(exc, RateLimited):
                limited += 1
                if limited >= policy.max_rate_limited:
                    raise GaveUp(f"rate limited {limited} times", attempt) from exc
                if policy.rotate and not session:
                    if lookup:
                        run.budget.used_up(generation, strategy)
                    changed = await run.gate.rotate(generation)
                    if not changed and run.route_stuck():
                        raise RouteDown(f"route {run.route}: its modem found no new IP")
                else:
                    await asyncio.sleep(backoff(policy, limited))
                continue
            if isinstance(exc, (ProfileNotFound, LoginWall, ProfileRefused, StrategyGone)):
                raise exc  # final for this strategy: the caller tries the next
            if isinstance(exc, ConfigurationError):
                raise exc
            errors += 1  # upstream or network: wait and retry
            steady = run.gate.generation == generation and not run.gate.rotating
            if steady and isinstance(exc, NetworkError | UpstreamError) and await run.route_down():
                raise RouteDown(f"route {run.route}: its modem is down ({exc})")
            if errors >= policy.max_attempts:
                raise GaveUp(f"{exc.outcome}: {exc}", attempt) from exc
            if run.gate.generation == generation and not run.gate.rotating:
                await asyncio.sleep(backoff(policy, errors))
            # else: the modem reconnected under this request (the proxy answers 503 while
            # it does); the cause is gone, so retry as soon as the gate opens.
