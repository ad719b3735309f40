"""What can go wrong fetching from Instagram, as one small hierarchy the fetch loop decides on.

Each class says what fixes it: a rotation (RateLimited), another fetch strategy (LoginWall for this
profile, StrategyGone for everyone), nothing (ProfileNotFound), waiting (UpstreamError,
NetworkError), or a human (ConfigurationError).
"""

from __future__ import annotations


class FetchError(Exception):
    """Base of everything the Instagram client raises."""

    outcome = "error"

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RateLimited(FetchError):
    """401/429, ``require_login``, "Please wait a few minutes": a new IP helps."""

    outcome = "rate_limited"


class ProfileNotFound(FetchError):
    """404 or ``user: null``: the profile does not exist (or no longer does)."""

    outcome = "not_found"


class LoginWall(FetchError):
    """HTTP 400 "make sure you are logged in": this profile is closed to anonymous fetching,
    and no rotation changes that."""

    outcome = "login_wall"


class ConfigurationError(FetchError):
    """Our request is wrong (e.g. 401 "useragent mismatch"): retrying cannot help."""

    outcome = "configuration_error"


class StrategyGone(FetchError):
    """The fetch strategy itself is closed: 404/410 with an HTML page, a stale GraphQL
    ``doc_id``, or an answer whose shape this strategy never gives. No retry helps; the next
    strategy might."""

    outcome = "strategy_gone"


class StrategyThrottled(FetchError):
    """Rate-limited on fresh IPs in a row: Instagram throttles this strategy for everyone, so
    no rotation helps for a while; the next strategy might (raised by the fetch loop, which
    sees the IPs, never by a classifier)."""

    outcome = "strategy_throttled"


class ProfileRefused(FetchError):
    """A 4xx no rule knows, for this profile on this strategy (a deleted business-category
    asset, 403, ``feedback_required``): not the IP, not the strategy for everyone; the next
    strategy might serve the profile."""

    outcome = "refused"


class AnswerTooLarge(ProfileRefused):
    """An answer that decodes to more than ``INTREND_MAX_ANSWER_BYTES``: never a real profile
    (a decompression bomb, a broken upstream). Asking again brings the same; the next
    strategy might serve the profile, like any refusal of this profile."""

    outcome = "too_large"


class UpstreamError(FetchError):
    """5xx, a proxy that cannot reach the modem, or a body that is not what was promised."""

    outcome = "upstream_error"


class NetworkError(FetchError):
    """Connect or read failed or timed out before any answer came back."""

    outcome = "network_error"
