"""The one place that keeps secrets out of what the project writes.

Every message the project writes goes through :func:`redact` (or :func:`redact_data` for
metadata and records): what a Dagster step says (its log lines, its events and their
metadata, its failure and the errors it was raised from) at one point,
``intrend_assets.lib.redacted_logs``, which wraps every asset, check and op; what the plain
packages write outside Dagster (failure records and refusals in the raw store, fetch
reasons) where they write it. Two nets:

- the secret values themselves, known from the settings and the session's cookie file
  (:func:`remember`, called where they are loaded), in every form a message may hold them:
  as given, stripped, percent-encoded (a URL) and escaped (a ``repr``);
- the shapes a secret has even when its value is unknown: a bearer token, a cookie or
  authorization header, the password in a URL's user info.

Plain Python, below every other package of the code location, so any of them can use it.
An HTTP library's own message is never copied when it can quote the request's headers
(:func:`http_error_text`): redaction is the net, not the plan.
"""

from __future__ import annotations

import re
import threading
from typing import TypeVar
from urllib.parse import quote

REDACTED = "[redacted]"
# Shorter values (a user id, a flag) are no secrets and would scrub ordinary words.
MIN_SECRET_LENGTH = 6

_lock = threading.Lock()
_known: frozenset[str] = frozenset()
_pattern: re.Pattern[str] | None = None

_SHAPES = [
    # "Bearer <token>" (an Authorization header, quoted by an HTTP library's error); eight
    # characters at least, so that "bearer token" in a sentence stays as it is.
    (re.compile(r"(?i)\b(bearer\s+)[^\s'\",;]{8,}"), rf"\1{REDACTED}"),
    # A whole cookie or authorization header: everything to the end of its quoted value.
    (
        re.compile(r"(?i)\b((?:proxy-)?authorization|cookie)(\s*[:=]\s*)[^'\"\r\n]+"),
        rf"\1\2{REDACTED}",
    ),
    # Instagram's session cookies, wherever one is spelled out.
    (
        re.compile(r"(?i)\b(sessionid|csrftoken|ig_did|mid|rur)=[^\s'\";,]+"),
        rf"\1={REDACTED}",
    ),
    # The password of a URL's user info: scheme://user:password@host.
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@'\"]*):[^@/\s'\"]+@"), rf"\1:{REDACTED}@"),
]


# A word every shape above needs: a message with none of them (and no known value) has
# nothing to scrub, which spares the shapes' patterns on the many messages that are clean.
_TRIGGERS = (
    "bearer",
    "authorization",
    "cookie",
    "sessionid",
    "csrftoken",
    "ig_did",
    "mid=",
    "rur=",
    "@",
)


def _has_trigger(text: str) -> bool:
    lowered = text.lower()  # substring tests: ten times faster than one (?i) alternation
    return any(word in lowered for word in _TRIGGERS)


def _forms(value: str) -> set[str]:
    """What a message may hold of ``value``: as given, stripped, URL-encoded, escaped."""
    stripped = value.strip()
    forms = {value, stripped, quote(stripped, safe=""), quote(stripped, safe="@:")}
    forms |= {repr(form)[1:-1] for form in list(forms)}
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


def remember(*values: str | None) -> None:
    """Scrub ``values`` from every message from now on (empty, None and short ones ignored).

    For the life of the process: a secret of one run is still one in the next.
    """
    global _known, _pattern
    new = set().union(*(_forms(v) for v in values if v))
    with _lock:
        if new <= _known:
            return
        _known = _known | new
        # Longest first, so a value containing another is scrubbed whole.
        ordered = sorted(_known, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(v) for v in ordered))


def forget() -> None:
    """Forget every remembered value (tests start from a clean slate)."""
    global _known, _pattern
    with _lock:
        _known, _pattern = frozenset(), None


def redact(text: str) -> str:
    """``text`` with every known secret value and every secret-shaped part replaced."""
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    if not _has_trigger(text):
        return text
    for shape, replacement in _SHAPES:
        text = shape.sub(replacement, text)
    return text


def needs_redaction(text: str) -> bool:
    """True when :func:`redact` might change ``text`` (a quick look: a known value, or a word
    a secret's shape starts from); False means it would not."""
    pattern = _pattern
    if pattern is not None and pattern.search(text) is not None:
        return True
    return _has_trigger(text)


T = TypeVar("T")


def redact_data(value: T) -> T:
    """``value`` (a record, metadata: dicts, lists, strings, numbers) with :func:`redact`
    applied to every string in it, keys included."""
    if isinstance(value, str):
        return redact(value)  # type: ignore[return-value]
    if isinstance(value, dict):
        return {redact_data(k): redact_data(v) for k, v in value.items()}  # type: ignore[return-value]
    if isinstance(value, (list, tuple)):
        return type(value)(redact_data(v) for v in value)  # type: ignore[return-value]
    return value


def header_safe(value: str) -> bool:
    """True when ``value`` can be sent as it is in a header: printable ASCII, no spaces (a
    bearer token, a cookie value, a URL). Anything else an HTTP library refuses, quoting it."""
    return all("!" <= c <= "~" for c in value)


# Errors whose message quotes what was about to be sent: h11 (through httpx and httpcore)
# quotes a header value it refuses, the whole ``Bearer <token>`` or cookie header.
_QUOTES_HEADERS = ("LocalProtocolError",)


def quotes_headers(exc: BaseException) -> bool:
    """True when ``exc`` (or what it wraps) is an error that can quote request headers."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if any(t.__name__ in _QUOTES_HEADERS for t in type(current).__mro__):
            return True
        current = current.__cause__ or current.__context__
    return False


def http_error_text(exc: BaseException) -> str:
    """What may be said of an HTTP library's error: its type, and its message unless that can
    quote the request's headers (then what went wrong, in our words), scrubbed either way."""
    name = type(exc).__name__
    if quotes_headers(exc):
        return (
            f"{name}: the request was not sent: a header value is not allowed "
            "(a secret with a stray character?)"
        )
    return redact(f"{name}: {exc}")
