"""Instagram usernames: the one gate every name passes before it reaches a URL, a path or SQL."""

from __future__ import annotations

import re

# Instagram allows ASCII letters, digits, "." and "_", 1 to 30 characters, no leading or
# trailing dot and no two dots in a row. Names are case-insensitive; we keep them lowercase.
_USERNAME = re.compile(r"(?!\.)(?!.*\.\.)[a-z0-9._]{1,30}(?<!\.)")


class InvalidUsername(ValueError):
    """A name Instagram would never issue. Raised before any request is made."""

    def __init__(self, name: object, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"invalid Instagram username {name!r}: {reason}")


def validate_username(name: object) -> str:
    """Return the canonical (lowercase, trimmed) form of ``name`` or raise InvalidUsername."""
    if not isinstance(name, str):
        raise InvalidUsername(name, "not a string")
    candidate = name.strip().removeprefix("@")
    # ASCII is checked before lowercasing: str.lower maps the Kelvin sign (U+212A) to "k"
    # and would let a name Instagram never issued through as a real one.
    if not candidate.isascii():
        raise InvalidUsername(name, "only letters a-z, digits, '.' and '_' are allowed")
    candidate = candidate.lower()
    if not candidate:
        raise InvalidUsername(name, "empty")
    if len(candidate) > 30:
        raise InvalidUsername(name, f"{len(candidate)} characters, at most 30 allowed")
    if re.search(r"[^a-z0-9._]", candidate):
        raise InvalidUsername(name, "only letters a-z, digits, '.' and '_' are allowed")
    if not _USERNAME.fullmatch(candidate):
        raise InvalidUsername(name, "no leading, trailing or doubled '.' allowed")
    return candidate


def is_valid_username(name: object) -> bool:
    try:
        validate_username(name)
    except InvalidUsername:
        return False
    return True
