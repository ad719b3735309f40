"""Typed settings of the code location, from ``INTREND_*`` environment variables.

The single home of every default: the plain packages take their configuration as values
(:class:`StrategyConfig`, :class:`ClientConfig`, :class:`FetchPolicy`) built here, and the
Dagster resources are built from one :class:`IntrendSettings` when the code location loads
(``intrend_assets.definitions``). Nothing reads the environment at import time.

Only configuration differs between a laptop on the sandbox and a deployment on the real
modem; secrets (the modem token, the proxy's password) come only from the environment, stay
``SecretStr`` and are stripped and checked on load: a value read from a file (a Kubernetes
secret) ends in a newline, which an HTTP library refuses in a header and then quotes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Self
from urllib.parse import unquote, urlsplit, urlunsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from intrend_assets.fetching.policy import FetchPolicy
from intrend_assets.fetching.routes import (
    DEFAULT_ROUTE,
    EgressRoute,
    RouteList,
    RouteSpec,
    build_routes,
)
from intrend_assets.instagram.bounded import DEFAULT_MAX_ANSWER_BYTES
from intrend_assets.instagram.client import ClientConfig
from intrend_assets.instagram.strategies import (
    PROFILE_STRATEGIES,
    TIMELINE_STRATEGIES,
    StrategyConfig,
    check_order,
)
from intrend_assets.media.archive import MediaConfig
from intrend_assets.media.download import DownloadConfig
from intrend_assets.media.urls import normal_origins
from intrend_assets.raw_store.retention import RetentionPolicy
from intrend_assets.redaction import header_safe
from warehouse.settings import WarehouseSettings

StrategyList = Annotated[list[str], NoDecode]  # "a,b,c" in the environment, not JSON
ENV_PREFIX = "INTREND_"
# Fields whose value a message never shows (a proxy URL may carry a password until load, the
# routes' proxy URLs too).
SECRET_FIELDS = frozenset({"modem_token", "proxy_url", "proxy_password", "routes"})


class SettingsError(ValueError):
    """A setting has a value it cannot take; the message names the environment variable."""


class IntrendSettings(WarehouseSettings):
    """Every setting of the code location; ``data_dir`` and ``warehouse_path`` come from
    :class:`WarehouseSettings`, so ``intrend-warehouse`` finds the file the pipeline writes."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    raw_dir: Path | None = Field(None, description="Raw store folder; default DATA_DIR/raw.")
    raw_url: str | None = Field(
        None,
        description="Raw store in object storage (s3://bucket/prefix); unset keeps RAW_DIR. "
        "Credentials from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION).",
    )
    raw_endpoint: str | None = Field(
        None,
        description="S3-compatible server other than AWS's (MinIO, Ceph, moto); plain http "
        "only on loopback.",
    )
    profiles_file: Path = Field(
        Path("profiles.txt"), description="Tracked profiles, one username per line."
    )

    instagram_base_url: str = Field(
        "https://i.instagram.com", description="Where web_profile_info is served."
    )
    www_base_url: str | None = Field(
        None,
        description="Host of the GraphQL endpoint and the profile pages; default "
        "https://www.instagram.com when INSTAGRAM_BASE_URL is Instagram's, else the same host.",
    )
    proxy_url: str | None = Field(
        None,
        description="HTTP proxy on the modem box; unset when the VPN routes Instagram's hosts. "
        "A password in it is moved to PROXY_PASSWORD on load.",
    )
    proxy_password: SecretStr | None = Field(
        None, description="Password of the proxy (a secret: environment only)."
    )
    app_id: str = Field("936619743392459", description="x-ig-app-id header of the web app.")
    ipad_app_id: str = Field("124024574287414", description="x-ig-app-id of the iPad app.")
    user_agent: str = Field(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
        description="Browser user-agent sent with every request.",
    )
    # GraphQL persisted-query ids and the older query_hash: Instagram changes them every few
    # months; these defaults are what the sandbox serves.
    profile_doc_id: str = Field(
        "9310670392322965", description="GraphQL doc_id of the profile query."
    )
    timeline_doc_id: str = Field(
        "7950326061742207", description="GraphQL doc_id of the timeline query."
    )
    timeline_query_hash: str = Field(
        "42323d64886122307be10013ad2dcc44", description="query_hash of the timeline endpoint."
    )
    profile_strategies: StrategyList = Field(
        list(PROFILE_STRATEGIES),
        description="Ways to fetch a profile, tried in this order (comma-separated): "
        + ", ".join(PROFILE_STRATEGIES),
    )
    timeline_strategies: StrategyList = Field(
        list(TIMELINE_STRATEGIES),
        description="Ways to fetch timeline pages, in order (comma-separated): "
        + ", ".join(TIMELINE_STRATEGIES),
    )
    session_cookies_file: Path | None = Field(
        None,
        description="Cookie export (Netscape cookies.txt or JSON) of a logged-in session, used "
        "only for profiles every anonymous way refuses with a login wall. Unset: no session.",
    )
    session_pacing_seconds: float = Field(
        5.0, ge=0, description="Mean pause before each logged-in request (one at a time)."
    )

    max_connections: int = Field(8, ge=1, description="Connection limit towards the proxy.")
    concurrency: int = Field(8, ge=1, description="Profiles fetched at once inside a run.")
    connect_timeout: float = Field(10.0, gt=0, description="Seconds to connect to Instagram.")
    read_timeout: float = Field(30.0, gt=0, description="Seconds to wait for an answer.")
    max_answer_bytes: int = Field(
        DEFAULT_MAX_ANSWER_BYTES,
        ge=1024 * 1024,
        description="Most an answer (and a raw object) may decode to; larger ones are refused "
        "unread (decompression bombs). 16 MiB: fifty times the largest real answer, and with "
        "8 answers in flight still under 1 GiB (intrend_assets/instagram/bounded.py).",
    )
    max_attempts: int = Field(4, ge=1, description="Tries per request on network/5xx errors.")
    max_rate_limited: int = Field(
        8, ge=1, description="Rate-limit answers per request before the profile is given up."
    )
    backoff_seconds: float = Field(0.5, ge=0, description="First backoff after an error.")
    strategy_bench_seconds: float = Field(
        900.0,
        ge=0,
        description="How long a fetch strategy rate-limited on two fresh IPs in a row (throttled "
        "for everyone, not for this IP) is left out before it is tried again.",
    )
    pacing: Literal["none", "fixed", "jittered"] = Field(
        "none", description="Sleep between requests: none, fixed or jittered."
    )
    pacing_seconds: float = Field(0.0, ge=0, description="Seconds of that sleep.")
    max_posts: int = Field(12, ge=1, description="Posts per profile; past 12 pages the timeline.")
    fast_update: bool = Field(True, description="Stop paging at the first post already stored.")
    first_fetch_days: float = Field(
        35.0,
        ge=0,
        description="A profile's first fetch (no fast-update mark yet) pages its timeline until "
        "its posts reach this many days back: the trend report's recent and baseline windows "
        "(7 + 28). 0: the first fetch is like any other. Needs FAST_UPDATE.",
    )
    first_fetch_max_pages: int = Field(
        5,
        ge=0,
        description="Most timeline pages (12 posts each) a first fetch spends on reaching "
        "FIRST_FETCH_DAYS; a profile posting twice a day needs 5.",
    )

    media_mode: Literal["off", "thumbnails", "full"] = Field(
        "thumbnails",
        description="Media archived before their CDN URLs expire: off; thumbnails (each post's "
        "and sidecar slide's picture, the profile picture); full (also full-size images, videos).",
    )
    media_allowed_origins: StrategyList = Field(
        [],
        description="Origins (scheme://host:port, comma-separated) media may come from besides "
        "Instagram's CDN hosts; the sandbox sets its loopback CDN. Unset: the CDN only.",
    )
    media_max_connections: int = Field(
        4, ge=1, description="Connection limit of the media downloader (apart from the API's)."
    )
    media_pacing_seconds: float = Field(
        0.0, ge=0, description="Pause between the starts of two media requests."
    )
    media_max_attempts: int = Field(
        3, ge=1, description="Tries per medium on network errors, CDN 429/5xx and bad bodies."
    )
    media_renewals: int = Field(
        1,
        ge=0,
        description="Profile refetches per profile and run to renew media whose URL expired.",
    )
    media_max_bytes: int = Field(
        50_000_000, ge=1, description="Largest medium accepted (bytes); larger ones are refused."
    )

    modem_url: str = Field("http://127.0.0.1:8000", description="The modem service's address.")
    modem_token: SecretStr | None = Field(
        None, description="Bearer token of the modem service (a secret: environment only)."
    )
    modem_timeout: float = Field(
        300.0, gt=0, description="Seconds a rotation may take (a redial or reboot is slow)."
    )
    routes: RouteList = Field(
        [],
        description="Egress routes the fetch spreads over, as JSON: "
        '[{"name": "a", "modem_url": "http://...", "proxy_url": "http://..."}, ...]. Empty: '
        f"one route, {DEFAULT_ROUTE!r}, of MODEM_URL and PROXY_URL.",
    )
    route_bench_seconds: float = Field(
        300.0,
        ge=0,
        description="How long a route whose modem is down or stuck is left out of a run (its "
        "profiles move to the other routes); never with a single route.",
    )

    parse_workers: int = Field(
        1,
        ge=0,
        le=8,
        description="Processes the posts load parses its slices in, a slice ahead of the "
        "load, so parse and load overlap on two cores; 0 parses in the load's own process, "
        "one slice after the other (a first load of 1M posts: 85 s at a peak of 0.92 GiB with "
        "1, 108 s at 0.72 GiB with 0, 74 s at 1.1 GiB with 2).",
    )
    max_pending_hours: float = Field(
        6.0,
        gt=0,
        description="Hours a stored fetch may wait for the warehouse load before the "
        "fetches_loaded check fails (a posts run follows every fetch run within minutes).",
    )

    pushgateway_url: str | None = Field(
        None,
        description="Prometheus Pushgateway the fetch and load steps push their metrics to at "
        "the end of each step (http://host:9091). Unset: no metrics are pushed.",
    )
    alert_webhook_url: SecretStr | None = Field(
        None,
        description="Webhook the alert sensors post to (Slack incoming webhooks take the same "
        "JSON); a secret, environment only. Unset: the alert sensors skip.",
    )
    stale_profile_days: float = Field(
        3.0,
        gt=0,
        description="Days without a stored fetch after which a tracked, not parked profile is "
        "reported stale by the daily alert.",
    )

    executor: Literal["in_process", "multiprocess", "celery", "celery_k8s"] = Field(
        "in_process",
        description="How a run executes its steps: in its own process (one machine), a "
        "process per step, on dagster-celery workers (broker from DAGSTER_CELERY_BROKER_URL, "
        "deploy/celery/), or Celery workers on Kubernetes (needs the celery-k8s extra).",
    )
    sensors: Literal["running", "stopped"] = Field(
        "running",
        description="Whether the sensors (tracked file, refresh, failed runs, automation) start "
        "running with a new Dagster instance; 'stopped' leaves them to be switched on in the UI.",
    )
    schedules: Literal["running", "stopped"] = Field(
        "running",
        description="Whether the schedules (daily refresh, daily warehouse rebuild, weekly "
        "experiment) start running with a new Dagster instance, like the sensors; 'stopped' "
        "leaves them to be switched on in the UI.",
    )
    retention_keep_fetches: int | None = Field(
        None,
        ge=1,
        description="Raw-store retention: keep the latest N fetches per profile (and any "
        "older one that alone holds a post); both retention settings unset: keep everything.",
    )
    retention_keep_days: float | None = Field(
        None,
        gt=0,
        description="Raw-store retention: keep the fetches younger than D days (and any older "
        "one that alone holds a post).",
    )
    retention_schedule: Literal["running", "stopped"] = Field(
        "stopped",
        description="Whether raw_store_retention_schedule (daily, 04:30 UTC) starts running "
        "with a new Dagster instance.",
    )

    @field_validator("modem_token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        return clean_secret(value, header=True)

    @field_validator("proxy_password")
    @classmethod
    def _password(cls, value: SecretStr | None) -> SecretStr | None:
        return clean_secret(value, header=False)

    @field_validator("proxy_url")
    @classmethod
    def _proxy_url(cls, value: str | None) -> str | None:
        cleaned = clean_secret(SecretStr(value), header=True) if value is not None else None
        if cleaned is None:
            return None
        url = cleaned.get_secret_value()
        password = split_password(url)[1]
        if password:  # checked here, so that a bad one is reported as PROXY_URL's
            clean_secret(SecretStr(password), header=False)
        return url

    @model_validator(mode="after")
    def _proxy_password_apart(self) -> Self:
        """A password in the proxy URL becomes :attr:`proxy_password`: the URL, shown in
        messages and reprs, keeps the host and the user only."""
        if self.proxy_url:
            self.proxy_url, password = split_password(self.proxy_url)
            if password and self.proxy_password is None:
                self.proxy_password = SecretStr(password.strip())
        return self

    def secret_values(self) -> list[str]:
        """The secrets among the settings, for :func:`intrend_assets.redaction.remember`."""
        secrets = (self.modem_token, self.proxy_password, self.alert_webhook_url)
        return [s.get_secret_value() for s in secrets if s is not None]

    @field_validator(
        "profile_strategies", "timeline_strategies", "media_allowed_origins", mode="before"
    )
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("profile_strategies")
    @classmethod
    def _known_profile(cls, value: list[str]) -> list[str]:
        check_order(value, PROFILE_STRATEGIES, "profile")
        return value

    @field_validator("timeline_strategies")
    @classmethod
    def _known_timeline(cls, value: list[str]) -> list[str]:
        check_order(value, TIMELINE_STRATEGIES, "timeline")
        return value

    def egress_routes(self) -> tuple[EgressRoute, ...]:
        """The routes of :attr:`routes`, or the one of MODEM_URL and PROXY_URL."""
        token = self.modem_token.get_secret_value() if self.modem_token else None
        only = RouteSpec(name=DEFAULT_ROUTE, modem_url=self.modem_url, proxy_url=self.proxy_url)
        return build_routes(self.routes or [only], token, self.modem_timeout)

    def retention_policy(self) -> RetentionPolicy:
        return RetentionPolicy(self.retention_keep_fetches, self.retention_keep_days)

    def resolved_raw_dir(self) -> Path:
        return self.raw_dir or self.data_dir / "raw"

    def raw_store_url(self) -> str:
        """Where the raw store lives: RAW_URL when set, else the folder."""
        return self.raw_url or str(self.resolved_raw_dir())

    def strategy_config(self) -> StrategyConfig:
        """Hosts and ids of the fetch strategies (the deployment's names are kept: the API
        host is ``INSTAGRAM_BASE_URL``, the web app's id ``APP_ID``)."""
        return StrategyConfig(
            api_base=self.instagram_base_url,
            www_base=self.www_base_url,
            web_app_id=self.app_id,
            ipad_app_id=self.ipad_app_id,
            profile_doc_id=self.profile_doc_id,
            timeline_doc_id=self.timeline_doc_id,
            timeline_query_hash=self.timeline_query_hash,
        )

    def client_config(self) -> ClientConfig:
        return ClientConfig(
            strategies=self.strategy_config(),
            proxy_url=self.proxy_url,
            proxy_password=(
                self.proxy_password.get_secret_value() if self.proxy_password else None
            ),
            user_agent=self.user_agent,
            max_connections=self.max_connections,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            max_answer_bytes=self.max_answer_bytes,
        )

    def media_config(self) -> MediaConfig:
        return MediaConfig(
            mode=self.media_mode,
            max_renewals=self.media_renewals,
            download=DownloadConfig(
                proxy=self.client_config().proxy(),
                allowed_origins=normal_origins(self.media_allowed_origins),
                max_connections=self.media_max_connections,
                pacing_seconds=self.media_pacing_seconds,
                max_attempts=self.media_max_attempts,
                backoff_seconds=self.backoff_seconds,
                timeout_seconds=self.read_timeout,
                max_bytes=self.media_max_bytes,
                user_agent=self.user_agent,
            ),
        )

    def fetch_policy(self) -> FetchPolicy:
        return FetchPolicy(
            # Never more requests in flight than connections the proxy allows.
            concurrency=min(self.concurrency, self.max_connections),
            max_attempts=self.max_attempts,
            max_rate_limited=self.max_rate_limited,
            backoff_seconds=self.backoff_seconds,
            pacing=self.pacing,
            pacing_seconds=self.pacing_seconds,
            max_posts=self.max_posts,
            fast_update=self.fast_update,
            first_fetch_days=self.first_fetch_days,
            first_fetch_max_pages=self.first_fetch_max_pages,
            session_pacing_seconds=self.session_pacing_seconds,
            bench_seconds=self.strategy_bench_seconds,
        )


def clean_secret(value: SecretStr | None, *, header: bool) -> SecretStr | None:
    """``value`` without surrounding whitespace (None when nothing is left); a character
    inside that it cannot carry raises ``ValueError``, which never quotes the value.

    ``header``: the value is sent as it is in a header (a bearer token, a URL), so only
    printable ASCII without spaces will do; otherwise (a password, sent encoded) only
    control characters are refused.
    """
    if value is None:
        return None
    stripped = value.get_secret_value().strip()
    if header:
        bad = not header_safe(stripped)
        accepts = "printable ASCII without spaces"
    else:
        bad = any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in stripped)
        accepts = "no control characters"
    if bad:
        raise ValueError(
            f"holds a character it cannot carry ({accepts}, after trimming surrounding "
            "whitespace); the value is not shown"
        )
    return SecretStr(stripped) if stripped else None


def split_password(url: str) -> tuple[str, str | None]:
    """``url`` without the password of its user info, and that password (decoded)."""
    parts = urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return url, None
    user, _, password = userinfo.partition(":")
    netloc = f"{user}@{host}" if user else host
    return urlunsplit(parts._replace(netloc=netloc)), unquote(password)


def describe_validation_error(exc: ValidationError, prefix: str = ENV_PREFIX) -> str:
    """One line per bad value, naming the environment variable and what it accepts (and the
    value, unless it is a secret)."""
    lines = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "settings"
        variable = f"{prefix}{field.upper()}"
        shown = error.get("input")
        secret = bool(SECRET_FIELDS & {str(part) for part in error["loc"]})
        value = f"={shown!r}" if isinstance(shown, (str, int, float)) and not secret else ""
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"{variable}{value}: {message}")
    return "; ".join(lines)


def load_settings(**overrides: object) -> IntrendSettings:
    """The settings from the environment (and ``overrides``); a bad value raises
    :class:`SettingsError` with one line naming the variable, not a pydantic traceback."""
    try:
        return IntrendSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(describe_validation_error(exc)) from None
