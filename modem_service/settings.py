"""Typed settings for the modem service, read from ``MODEM_*`` environment variables."""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Backend = Literal["mmcli", "hilink", "simulated"]
LogLevel = Literal["critical", "error", "warning", "info", "debug", "trace"]
DocsMode = Literal["protected", "open", "off"]
BACKENDS: tuple[str, ...] = get_args(Backend)
LOG_LEVELS: tuple[str, ...] = get_args(LogLevel)


# Fields whose value no message shows.
SECRET_FIELDS = frozenset({"token", "hilink_password"})


def _clean_secret(value: SecretStr | None, *, header: bool) -> SecretStr | None:
    """``value`` without surrounding whitespace (a secret made from a file ends in a newline;
    kept, the service would expect a token no client sends); None when nothing is left. A
    character it cannot carry inside raises ``ValueError``, which never quotes the value:
    a token travels in a header (printable ASCII, no spaces), a password only refuses
    control characters."""
    if value is None:
        return None
    stripped = value.get_secret_value().strip()
    if header:
        bad = any(not "!" <= c <= "~" for c in stripped)
        accepts = "printable ASCII without spaces"
    else:
        bad = any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in stripped)
        accepts = "no control characters"
    if bad:
        raise ValueError(f"holds a character it cannot carry ({accepts}); not shown")
    return SecretStr(stripped) if stripped else None


class Settings(BaseSettings):
    """Everything the service needs; every field has an offline-safe default but the backend
    and the token.

    The backend has no default: a box started without ``MODEM_BACKEND`` must refuse to run
    rather than hand out a simulated modem's made-up IPs. ``Settings(backend="simulated",
    token="...")`` is a complete, working configuration: a simulated modem and an in-memory
    IP log that disappears with the process.
    """

    model_config = SettingsConfigDict(env_prefix="MODEM_", extra="ignore")

    backend: Backend = Field(
        description="Which modem driver rotates the IP (required: mmcli, hilink, or simulated "
        "for the sandbox and tests)."
    )
    token: SecretStr | None = Field(
        None, description="Bearer token required on every endpoint but /health."
    )
    allow_open: bool = Field(
        False,
        description="Run without a token. Only honoured when bound to a loopback address.",
    )
    route_name: str | None = Field(
        None,
        description="Name of the egress route this modem serves (the code location's "
        "INTREND_ROUTES names it): every IP-log entry GET /ips gives carries it.",
    )
    host: str = Field("127.0.0.1", description="Address uvicorn binds to.")
    port: int = Field(8000, description="Port uvicorn binds to.")
    database_url: str = Field(
        "sqlite+pysqlite:///:memory:",
        description="SQLAlchemy URL of the IP log (SQLite file or PostgreSQL); python -m "
        "modem_service defaults it to iplog.sqlite3 in the state directory.",
    )
    state_dir: str | None = Field(
        None,
        description="Where python -m modem_service keeps iplog.sqlite3 when MODEM_DATABASE_URL "
        "is not set; unset: $STATE_DIRECTORY (systemd StateDirectory=), else "
        "$XDG_STATE_HOME/modem-service (~/.local/state/modem-service). Never the working "
        "directory.",
    )
    docs: DocsMode = Field(
        "protected",
        description="/docs, /redoc and /openapi.json (served from local files): 'protected' "
        "needs the token like every endpoint, 'open' serves them without it, 'off' removes "
        "them.",
    )
    cooldown_seconds: float = Field(
        0.0,
        ge=0,
        description="After a rotation, further /rotate calls within this many seconds get "
        "the last result instead of rotating again.",
    )
    max_attempts: int = Field(
        3,
        ge=1,
        description="Tries of the weakest rotation step (reconnect / data toggle) before "
        "climbing the ladder (disable-enable, reset or reboot, USB power cycle).",
    )
    ip_cache_seconds: float = Field(2.0, ge=0, description="How long GET /ip answers from cache.")
    ip_check_seconds: float = Field(
        60.0,
        ge=0,
        description="Check the public IP this often and log a change the service did not "
        "cause (source 'carrier'); 0 turns the check off.",
    )
    iplog_buffer: int = Field(
        10_000,
        ge=1,
        description="Sightings kept in memory while the IP log cannot be written (disk "
        "full, read-only); the oldest are dropped beyond it.",
    )
    log_level: LogLevel = Field("info", description="uvicorn log level.")
    access_log: bool = Field(True, description="One log line per request (off for load tests).")

    # Connection limits: the service is reachable without a token (/health), so a client
    # must not be able to freeze it with a huge request head or starve it of sockets.
    max_header_bytes: int = Field(
        16_384,
        ge=1024,
        description="Largest request line plus headers accepted; a larger head is answered "
        "400 and the connection closed.",
    )
    header_timeout_seconds: float = Field(
        10.0,
        gt=0,
        description="A connection must send its whole request head within this many seconds "
        "of opening (or of its last answer), else it is closed.",
    )
    keep_alive_seconds: float = Field(
        5.0, gt=0, description="An idle keep-alive connection is closed after this long."
    )
    max_connections: int = Field(
        256,
        ge=2,
        description="Open connections kept at most; a new one beyond it closes the longest "
        "idle one (keep it well under the unit's LimitNOFILE).",
    )

    # Public IP check (mmcli and hilink): echo services reached through the modem.
    echo_urls: str = Field(
        "https://api.ipify.org,https://ifconfig.me/ip",
        description="Comma-separated plain-text IP echo services asked through the modem.",
    )
    echo_min_agree: int = Field(
        2, ge=1, description="Echo answers that must agree (capped at the number of URLs)."
    )
    echo_timeout: float = Field(5.0, gt=0, description="Timeout of one echo request, seconds.")
    echo_bind_address: str | None = Field(
        None,
        description="Source address for the echo check (the modem interface's address). "
        "mmcli: defaults to the bearer's address; hilink: defaults to this host's address "
        "on the route to MODEM_HILINK_URL (192.168.8.x).",
    )

    echo_interface: str | None = Field(
        None,
        description="Also pin the echo check to this network device (SO_BINDTODEVICE, e.g. "
        "wwan0); needs CAP_NET_RAW (systemd: AmbientCapabilities=CAP_NET_RAW).",
    )

    # mmcli backend (ModemManager).
    mmcli_path: str = Field("mmcli", description="The mmcli executable.")
    nmcli_path: str = Field("nmcli", description="The nmcli executable.")
    nm_connection: str | None = Field(
        None,
        description="NetworkManager connection that owns the modem's data link; when set, "
        "reconnects go through 'nmcli connection down/up' instead of mmcli --simple-connect.",
    )
    apn: str | None = Field(None, description="APN for mmcli --simple-connect.")
    power_cycle_command: str | None = Field(
        None,
        description="Command (no shell; split like a shell would) that power-cycles the "
        "modem's USB port, e.g. 'uhubctl -l 1-1 -p 2 -a cycle'. Adds the last ladder rung.",
    )
    command_timeout: float = Field(30.0, gt=0, description="Timeout of one mmcli/nmcli call.")
    reappear_timeout: float = Field(
        120.0, gt=0, description="How long to wait for the modem after a reset or power cycle."
    )

    # hilink backend (Huawei E3372h in HiLink mode).
    hilink_url: str = Field("http://192.168.8.1/", description="The stick's web API URL.")
    hilink_username: str | None = Field(None, description="HiLink login, if the stick has one.")
    hilink_password: SecretStr | None = Field(None, description="HiLink password.")
    hilink_timeout: float = Field(10.0, gt=0, description="Timeout of one HiLink API call.")

    # Simulated backend: the sandbox's modem.
    sim_ranges: str = Field(
        "209.29.168.0/24=0.9,209.29.99.0/24=0.1",
        description="Carrier blocks the simulated modem draws public IPs from, with weights.",
    )
    sim_rotation_seconds: float = Field(
        2.0,
        ge=0,
        description="How long a simulated reconnect takes (simulated seconds, see "
        "MODEM_SIM_SPEED); a reset takes twice as long.",
    )
    sim_unchanged_probability: float = Field(
        0.1, ge=0, le=1, description="Chance that a simulated reconnect keeps the same IP."
    )
    sim_seed: int = Field(0, description="Seed of the simulated modem's random draws.")
    sim_speed: float = Field(
        1.0,
        gt=0,
        description="Simulated seconds per real second: divides the simulated rotation time, "
        "the carrier schedule and the cooldown (answers report real seconds).",
    )
    sim_carrier_change_seconds: float = Field(
        0.0,
        ge=0,
        description="The simulated carrier changes the IP by itself this often (simulated "
        "seconds); 0 = never.",
    )

    @field_validator("token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        return _clean_secret(value, header=True)

    @field_validator("hilink_password")
    @classmethod
    def _password(cls, value: SecretStr | None) -> SecretStr | None:
        return _clean_secret(value, header=False)

    @field_validator("sim_ranges")
    @classmethod
    def _ranges_parse(cls, value: str) -> str:
        parse_weighted_ranges(value)
        return value

    def weighted_ranges(self) -> list[tuple[str, float]]:
        return parse_weighted_ranges(self.sim_ranges)

    def echo_url_list(self) -> list[str]:
        return [u.strip() for u in self.echo_urls.split(",") if u.strip()]


def parse_weighted_ranges(text: str) -> list[tuple[str, float]]:
    """Parse ``"a.b.c.0/24=0.9,d.e.f.0/24=0.1"`` into ``[(cidr, weight), ...]``.

    Raises ``ValueError`` naming the bad entry, so a typo in the environment fails at start.
    """
    import ipaddress

    ranges: list[tuple[str, float]] = []
    for raw in text.split(","):
        entry = raw.strip()
        if not entry:
            continue
        cidr, _, weight = entry.partition("=")
        try:
            network = ipaddress.ip_network(cidr.strip(), strict=True)
            w = float(weight) if weight else 1.0
        except ValueError as exc:
            raise ValueError(f"bad carrier range {entry!r}: {exc}") from exc
        if w <= 0:
            raise ValueError(f"bad carrier range {entry!r}: weight must be positive")
        ranges.append((str(network), w))
    if not ranges:
        raise ValueError("at least one carrier range is needed")
    return ranges


class SettingsError(ValueError):
    """A bad ``MODEM_*`` value, explained in one line naming the variable."""


def load_settings(**overrides: Any) -> Settings:
    """``Settings`` from the environment plus ``overrides``, or one :class:`SettingsError`."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(explain(exc)) from None


def explain(exc: ValidationError) -> str:
    """``MODEM_BACKEND='foo': expected one of mmcli, hilink, simulated``, ``; `` between
    (``MODEM_TOKEN: ...`` without the value for a secret)."""
    return "; ".join(explain_one(error) for error in exc.errors())


def explain_one(error: Any) -> str:
    """One error as ``MODEM_X='value': what it accepts`` (``MODEM_X is not set: ...``)."""
    field = str(error["loc"][0]) if error["loc"] else ""
    variable = f"MODEM_{field.upper()}"
    if error["type"] == "missing":
        return f"{variable} is not set: {_accepts(field, error)}"
    shown = "" if field in SECRET_FIELDS else f"={error.get('input')!r}"
    return f"{variable}{shown}: {_accepts(field, error)}"


def _accepts(field: str, error: Any) -> str:
    info = Settings.model_fields.get(field)
    choices = get_args(info.annotation) if info is not None else ()
    if error["type"] == "missing" and choices:
        return "expected one of " + ", ".join(str(c) for c in choices)
    if error["type"] == "literal_error" and choices:
        return "expected one of " + ", ".join(str(c) for c in choices)
    if error["type"] == "value_error" and "error" in error.get("ctx", {}):
        return str(error["ctx"]["error"])
    message = str(error["msg"])
    return message.replace("Input should be", "expected", 1)
