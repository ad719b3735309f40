"""The sandbox's knobs, in one validated object shared by the world, the CLI and the tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from sandbox.field import FIELD_PRESET, apply_field_preset


class SandboxConfig(BaseModel):
    """Everything that shapes the offline world; every field has a default.

    Times marked "sandbox seconds" run on the sandbox clock, which goes ``speed`` times
    faster than the wall clock, so a test can cross a ten-minute rate-limit window in
    ten real seconds.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    profiles: int = Field(300, ge=1, le=999_999, description="Number of known profiles.")
    seed: int = Field(7, description="Seed of every random choice: same seed, same world.")
    anchor: datetime | None = Field(
        None,
        description="Sandbox time at start (UTC); posts are laid out around it and the planted "
        "trends rise over the 7 days before it. Default: now, floored to the minute.",
    )
    epoch: datetime = Field(
        datetime(2024, 1, 1, tzinfo=UTC),
        description="Origin of every profile's grid of post slots (UTC): a post's time, and so "
        "its id, depend on the epoch and not on the anchor, so worlds anchored on different "
        "days share the posts both show.",
    )
    frozen_content: bool = Field(
        False,
        description="Serve posts, likes and follower counts as of the anchor whatever the clock "
        "says (the clock still drives rate limits and the modem): every run with one anchor "
        "sees the same world.",
    )
    speed: float = Field(
        1.0, gt=0, description="Sandbox seconds per real second (the clock's speed-up)."
    )
    budget: int = Field(50, ge=0, description="Profile lookups one public IP may make per window.")
    window_seconds: float = Field(
        600.0, gt=0, description="Sliding rate-limit window for profile lookups (sandbox s)."
    )
    page_budget: int = Field(
        500, ge=0, description="Timeline-page requests one IP may make per page window."
    )
    page_window_seconds: float = Field(
        600.0, gt=0, description="Sliding rate-limit window for timeline pages (sandbox s)."
    )
    share_429: float = Field(
        0.2, ge=0, le=1, description="Share of rate-limit answers that are 429 instead of 401."
    )
    rotation_seconds: float = Field(
        2.0, ge=0, description="How long a simulated modem reconnect takes (sandbox s)."
    )
    unchanged_probability: float = Field(
        0.1, ge=0, le=1, description="Chance a modem reconnect keeps the same public IP."
    )
    carrier_ranges: str = Field(
        "209.29.168.0/24=0.9,209.29.99.0/24=0.1",
        description="Carrier blocks the simulated modem draws IPs from, with weights.",
    )
    modem_token: str | None = Field(
        None, description="Bearer token of the modem service (default: a random one)."
    )
    private_share: float = Field(
        0.03, ge=0, le=1, description="Share of known profiles that are private."
    )
    missing_share: float = Field(
        0.02,
        ge=0,
        le=1,
        description="Unknown (404) example usernames, as a share of `profiles` (at least 3).",
    )
    tricky_share: float = Field(
        0.05, ge=0, le=1, description="Share of captions with a tricky hashtag form."
    )
    no_caption_share: float = Field(
        0.05, ge=0, le=1, description="Share of posts without any caption."
    )
    trends: int = Field(4, ge=0, le=8, description="Number of planted trending hashtags.")
    pinned_share: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Share of public profiles with 1-3 older posts pinned at the top of their "
        "profile response (off by default: then responses are strictly newest first).",
    )
    require_app_id: bool = Field(
        False,
        description="Answer 401 'useragent mismatch' to requests without an x-ig-app-id header.",
    )
    posts_per_page: int = Field(12, ge=1, le=50, description="Posts per profile response.")
    profile_doc_id: str = Field(
        "9310670392322965",
        min_length=1,
        description="doc_id that POST /graphql/query answers with the v1 user (strategy "
        "graphql_doc_id); any other doc_id gets a PersistedQueryNotFound error.",
    )
    timeline_doc_id: str = Field(
        "7950326061742207",
        min_length=1,
        description="doc_id that POST /graphql/query answers with a v1 timeline page.",
    )
    session_ids: tuple[str, ...] = Field(
        ("sandbox-session",),
        description="Values of the sessionid cookie taken as logged in: never login-walled, "
        "profile lookups counted per session instead of per IP.",
    )
    session_budget: int = Field(
        200,
        ge=0,
        description="Profile lookups one logged-in session may make per window_seconds.",
    )

    # ---- the field's behaviours (sandbox/README.md, "Field mode"); off by default --------
    field: bool = Field(
        False,
        description="Turn on every field behaviour below that is left at its friendly default "
        "(the values of sandbox.field.FIELD_PRESET).",
    )
    routes: int = Field(
        1,
        ge=1,
        le=16,
        description="Egress routes: simulated modems, each with its own modem service, proxy "
        "host and carrier blocks (route k draws from carrier_ranges with its second octet "
        "moved by k - 1), so each has its own public IPs and rate limits.",
    )
    modem_cooldown_seconds: float = Field(
        0.0,
        ge=0,
        description="Modem service cooldown (sandbox s): a /rotate within it gets the last "
        "result, marked coalesced.",
    )
    rotation_max_seconds: float = Field(
        0.0,
        ge=0,
        description="When above rotation_seconds, each reconnect takes a duration drawn "
        "between the two (sandbox s); the proxy answers 503 meanwhile.",
    )
    carrier_change_seconds: float = Field(
        0.0,
        ge=0,
        description="Mean interval of carrier-initiated IP changes (sandbox s; 0: never).",
    )
    throttled_strategy: str = Field(
        "",
        description="A strategy answering 401 'Please wait a few minutes' to every IP during "
        "the throttle period ('' : none).",
    )
    throttle_start_seconds: float = Field(
        0.0, ge=0, description="Start of the throttle period, sandbox s after the anchor."
    )
    throttle_seconds: float = Field(
        0.0, ge=0, description="Length of the throttle period (sandbox s; 0: no throttle)."
    )
    odd_4xx_share: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Share of public profiles (business/creator accounts) web_profile_info "
        "answers with an odd 4xx: 400 asset deleted, 403, or 400 feedback_required.",
    )
    graphql_budget: int = Field(
        0,
        ge=0,
        description="GraphQL requests one IP may make per window_seconds before 'Rate limit "
        "exceeded' (code 1675004); 0: no GraphQL limit.",
    )
    graphql_429_share: float = Field(
        0.5, ge=0, le=1, description="Share of GraphQL rate-limit answers with HTTP 429 (else 200)."
    )
    graphql_error_share: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Share of GraphQL answers that are a transient execution error.",
    )
    burst_limit: int = Field(
        0,
        ge=0,
        description="Burst rule: a profile lookup that makes more than this many from one IP "
        "within burst_seconds is refused and spends budget (0: no burst rule).",
    )
    burst_seconds: float = Field(10.0, gt=0, description="Window of the burst rule (sandbox s).")
    page_shape: Literal["data_user", "xig_user_by_username"] = Field(
        "data_user",
        description="Where the embedded profile page carries the user: data.user (older "
        "pages) or data.xig_user_by_username (today's).",
    )
    hashtag_cap: bool = Field(
        True,
        description="Captions of posts after 2025-12-19 carry at most 5 hashtags.",
    )
    cdn: bool = Field(
        True,
        description="Serve the media: post and profile JSON point at the sandbox CDN "
        "(through the proxy host) instead of real cdninstagram.com hosts nothing serves.",
    )
    cdn_expiry_seconds: float = Field(
        3 * 86400.0,
        gt=0,
        description="A CDN URL's signature (oe) expires this long after the answer that "
        "carried it (sandbox s), plus up to cdn_expiry_jitter_seconds.",
    )
    cdn_expiry_jitter_seconds: float = Field(
        86400.0, ge=0, description="Spread of the CDN expiries past cdn_expiry_seconds."
    )
    cdn_budget: int = Field(
        600,
        ge=0,
        description="CDN requests one IP may make per cdn_window_seconds before 429 (0: no limit).",
    )
    cdn_window_seconds: float = Field(60.0, gt=0, description="Window of cdn_budget (sandbox s).")

    @model_validator(mode="before")
    @classmethod
    def _field_preset(cls, data: Any) -> Any:
        return apply_field_preset(data, cls.model_fields)

    @field_validator("throttled_strategy")
    @classmethod
    def _known_strategy(cls, value: str) -> str:
        from sandbox.strategies import STRATEGIES

        if value and value not in STRATEGIES:
            raise ValueError(f"unknown strategy {value!r}; known: {', '.join(STRATEGIES)}")
        return value

    @field_validator("anchor", "epoch")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    @field_validator("carrier_ranges")
    @classmethod
    def _ranges_parse(cls, value: str) -> str:
        from modem_service.settings import parse_weighted_ranges

        parse_weighted_ranges(value)
        return value

    def resolved(self) -> SandboxConfig:
        """This config with ``anchor`` fixed (now, floored to the minute, when unset)."""
        if self.anchor is not None:
            return self
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        return self.model_copy(update={"anchor": now})

    def throttled(self, strategy: str, sandbox_now: float) -> bool:
        """True when ``strategy`` is throttled for everyone at sandbox time ``sandbox_now``."""
        if not self.throttle_seconds or strategy != self.throttled_strategy:
            return False
        start = self.anchor_ts + self.throttle_start_seconds
        return start <= sandbox_now < start + self.throttle_seconds

    def content_now(self, clock_now: float) -> float:
        """The sandbox time the content is served as of (the anchor when frozen)."""
        return self.anchor_ts if self.frozen_content else clock_now

    @property
    def anchor_ts(self) -> float:
        """The anchor as a Unix timestamp; call on a resolved config."""
        if self.anchor is None:
            raise ValueError("anchor is not resolved; call .resolved() first")
        return self.anchor.timestamp()


def describe_validation_error(exc: ValidationError) -> str:
    """One line per refused field, named as its command-line option (``--carrier-ranges``),
    with what it accepts: what ``intrend-sandbox`` and ``intrend`` print instead of
    pydantic's multi-line report."""
    parts = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "value"
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"--{field.replace('_', '-')}: {message}")
    return "; ".join(parts)


__all__ = ["FIELD_PRESET", "SandboxConfig"]
