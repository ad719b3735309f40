"""Pure parsing of ``mmcli -K`` (key-value) output.

mmcli prints one ``key : value`` per line. Empty values print as ``--``; lists print as
``key.length : N`` followed by ``key.value[1]`` .. ``key.value[N]`` (counting from 1); with no
modem at all, ``mmcli -L -K`` prints ``modem-list : 0`` (the key truncated, no ``.length``).
Nothing here runs a command, so every branch is tested against recorded outputs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KeyValues = dict[str, str | list[str] | None]

_LIST_LENGTH = re.compile(r"^(?P<key>.+)\.length$")
_LIST_VALUE = re.compile(r"^(?P<key>.+)\.value\[(?P<n>\d+)\]$")
_INDEX = re.compile(r"/(?P<n>\d+)$")


def parse_keyvalue(text: str) -> KeyValues:
    """``mmcli -K`` text into a dict; ``--`` becomes None, lists become Python lists.

    List items are placed by their printed index, so a list whose middle entries were left
    out (as in trimmed captures) still keeps the ones present, in order.
    """
    scalars: dict[str, str | None] = {}
    lists: dict[str, dict[int, str]] = {}
    lengths: dict[str, int] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or " : " not in f"{line} ":
            continue
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if not key:
            continue
        if match := _LIST_VALUE.match(key):
            lists.setdefault(match["key"], {})[int(match["n"])] = value
        elif match := _LIST_LENGTH.match(key):
            lengths[match["key"]] = _int_or_zero(value)
        else:
            scalars[key] = None if value in ("--", "") else value
    result: KeyValues = dict(scalars)
    for key, length in lengths.items():
        items = lists.get(key, {})
        result[key] = [items[n] for n in sorted(items)] if length else []
    for key, items in lists.items():
        if key not in result:
            result[key] = [items[n] for n in sorted(items)]
    # "modem-list : 0": an empty list printed with its key truncated.
    if result.get("modem-list") == "0":
        result["modem-list"] = []
    return result


def _int_or_zero(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return 0


def object_index(dbus_path: str) -> int:
    """The number at the end of a ModemManager D-Bus path (``.../Modem/3`` -> 3)."""
    match = _INDEX.search(dbus_path.strip())
    if match is None:
        raise ValueError(f"not a ModemManager object path: {dbus_path!r}")
    return int(match["n"])


def modem_indexes(list_output: str) -> list[int]:
    """Indexes of the modems ``mmcli -L -K`` lists; empty when there is none."""
    paths = parse_keyvalue(list_output).get("modem-list")
    if isinstance(paths, str):  # a single path printed without list syntax
        paths = [paths]
    return [object_index(p) for p in paths or []]


@dataclass(frozen=True)
class ModemStatus:
    """The parts of ``mmcli -m N -K`` rotation cares about."""

    index: int
    state: str | None
    failed_reason: str | None
    bearer_paths: tuple[str, ...]
    model: str | None

    @property
    def connected(self) -> bool:
        return self.state == "connected"

    @property
    def enabled(self) -> bool:
        """Enabled or further along (registered, connecting, connected...)."""
        return self.state in {
            "enabled",
            "searching",
            "registered",
            "connecting",
            "connected",
            "disconnecting",
        }


def parse_modem(text: str) -> ModemStatus:
    kv = parse_keyvalue(text)
    path = _scalar(kv, "modem.dbus-path")
    if path is None:
        raise ValueError("mmcli output has no modem.dbus-path")
    bearers = kv.get("modem.generic.bearers") or []
    if isinstance(bearers, str):
        bearers = [bearers]
    return ModemStatus(
        index=object_index(path),
        state=_scalar(kv, "modem.generic.state"),
        failed_reason=_scalar(kv, "modem.generic.state-failed-reason"),
        bearer_paths=tuple(bearers),
        model=_scalar(kv, "modem.generic.model"),
    )


@dataclass(frozen=True)
class BearerStatus:
    """The parts of ``mmcli -b N -K`` rotation cares about.

    ``ipv4_address`` is the carrier-side address (10.x or CGNAT 100.64/10), never the public
    IP; it is what the echo check binds to so that it leaves through the modem.
    """

    index: int
    connected: bool
    interface: str | None
    ipv4_address: str | None
    ipv6_address: str | None


def parse_bearer(text: str) -> BearerStatus:
    kv = parse_keyvalue(text)
    path = _scalar(kv, "bearer.dbus-path")
    if path is None:
        raise ValueError("mmcli output has no bearer.dbus-path")
    return BearerStatus(
        index=object_index(path),
        connected=_scalar(kv, "bearer.status.connected") == "yes",
        interface=_scalar(kv, "bearer.status.interface"),
        ipv4_address=_scalar(kv, "bearer.ipv4-config.address"),
        ipv6_address=_scalar(kv, "bearer.ipv6-config.address"),
    )


def _scalar(kv: KeyValues, key: str) -> str | None:
    value = kv.get(key)
    if isinstance(value, list):
        return value[0] if value else None
    return value
