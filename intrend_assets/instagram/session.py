"""An optional logged-in session: cookies exported from a browser, loaded from a file.

The session is the user's own account, so it is handled like a secret: the file's path comes
from the environment (``INTREND_SESSION_COOKIES_FILE``), values never appear in a message,
a log, a repr or the warehouse (they are handed to :mod:`intrend_assets.redaction` on load),
and a file that is world-readable is refused on POSIX. Values are stripped of surrounding
whitespace (an export can end one with a space, which an HTTP library refuses in the cookie
header and then quotes); one with a character a header cannot carry is refused by name.
Two export formats are read: Netscape ``cookies.txt`` and a JSON list of cookie objects
(``[{"name": ..., "value": ..., "domain": ...}, ...]``, what browser extensions write) or a
flat JSON object ``{"sessionid": ..., ...}``.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from intrend_assets.redaction import header_safe, remember

# Only the cookies Instagram's web endpoints need; the rest of a browser export stays unread.
WANTED = ("sessionid", "csrftoken", "ds_user_id", "mid", "ig_did", "rur")


class SessionFileError(ValueError):
    """The cookie file cannot be used; the message names the file, never a cookie value."""


@dataclass(frozen=True)
class SessionCookies:
    """The session's cookies; the repr shows names only."""

    values: dict[str, str] = field(repr=False)
    source: Path

    def __repr__(self) -> str:
        return f"SessionCookies(names={sorted(self.values)}, source={str(self.source)!r})"

    @property
    def user_id(self) -> str | None:
        """``ds_user_id``: the account's id, the one non-secret fact worth logging."""
        return self.values.get("ds_user_id")


def _instagram(domain: str | None) -> bool:
    return not domain or domain.lstrip(".").lower().endswith("instagram.com")


def _from_netscape(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("#HttpOnly_"):
            line = line[len("#HttpOnly_") :]
        elif not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 7:
            raise SessionFileError("a cookies.txt line does not have 7 tab-separated fields")
        domain, _, _, _, _, name, value = parts
        if _instagram(domain):
            found[name] = value.strip()
    return found


def _from_json(data: object) -> dict[str, str]:
    if isinstance(data, dict):
        return {str(k): str(v) for k, v in data.items() if isinstance(v, (str, int))}
    if not isinstance(data, list):
        raise SessionFileError("JSON cookies must be a list of cookie objects or an object")
    found: dict[str, str] = {}
    for item in data:
        if not isinstance(item, dict) or "name" not in item or "value" not in item:
            raise SessionFileError("every JSON cookie needs a 'name' and a 'value'")
        if _instagram(item.get("domain")):
            found[str(item["name"])] = str(item["value"])
    return found


def parse_cookies(text: str) -> dict[str, str]:
    """The wanted Instagram cookies of a Netscape or JSON export (pure; for tests)."""
    stripped = text.lstrip()
    if stripped.startswith(("[", "{", '"')):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            where = f"line {exc.lineno}"
            raise SessionFileError(f"the cookie file is not valid JSON ({where})") from None
        found = _from_json(data)
    else:
        found = _from_netscape(text)
    cookies = {name: found[name].strip() for name in WANTED if found.get(name, "").strip()}
    for name, value in cookies.items():
        if not header_safe(value) or ";" in value:
            raise SessionFileError(
                f"cookie {name!r} holds a character a cookie header cannot carry (printable "
                "ASCII without spaces or ';'); its value is not shown"
            )
    if "sessionid" not in cookies:
        raise SessionFileError("no instagram.com 'sessionid' cookie in the file")
    return cookies


def load_session_cookies(path: Path) -> SessionCookies:
    """Read and check the cookie file; every problem is a :class:`SessionFileError`."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SessionFileError(f"session cookie file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SessionFileError(f"session cookie file {path} cannot be read: {exc}") from None
    if os.name == "posix" and mode & stat.S_IROTH:
        raise SessionFileError(
            f"session cookie file {path} is readable by every user; chmod 600 it"
        )
    try:
        cookies = parse_cookies(text)
    except SessionFileError as exc:
        raise SessionFileError(f"session cookie file {path}: {exc}") from None
    # The account's id is the one value worth showing; every other one is a secret.
    remember(*(value for name, value in cookies.items() if name != "ds_user_id"))
    return SessionCookies(cookies, path)
