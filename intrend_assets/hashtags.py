"""Hashtags and mentions in captions, by the rules the major platforms share.

The reference is twitter-text's extraction conformance suite (``hashtags`` sections), which
Instagram follows in practice:

- a hashtag is ``#`` or the full-width ``＃`` followed by letters and combining marks of any
  script, decimal digits of any script, ``_`` and a few joiners (ZWNJ, ZWJ, the middle dot,
  the Japanese iteration and prolonged-sound marks...), with at least one letter or mark
  ("#16" is a bus line, not a tag);
- the ``#`` must not be glued to a preceding letter, digit or ``&`` (``日本語#タグ``, ``&#39;``),
  except after an emoji variation selector;
- a match directly followed by another ``#`` or by ``://`` is not a hashtag, and neither is
  anything inside a URL (``example.com/#anchor``).

Python's stdlib ``re`` has no ``\\p{L}``, so the character classes are built once per process
from ``unicodedata`` (a scan of the planes that hold them, at import) and
compiled into ordinary ``re`` classes; matching then runs at ``re`` speed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence

# The counting key is the warehouse's: hashtag_daily is keyed by it.
from warehouse.contract import normalize_hashtag as normalize_hashtag

# Instagram refuses to publish a caption with more than 30 hashtags, so a caption that
# carries more (an old post, an edited one, a comment pasted into the caption) has tags that
# Instagram's own hashtag pages do not index. Counting them would overweight hashtag spam.
# We keep the FIRST 30 occurrences, in caption order (duplicates count as occurrences).
INSTAGRAM_HASHTAG_CAP = 30

# Instagram refuses captions longer than 2,200 characters: what lies beyond (text pasted
# through another client, a comment thread) is ignored, which also bounds the work per
# caption. ``ignored_characters`` counts it.
INSTAGRAM_CAPTION_LIMIT = 2200

# Non-letter characters twitter-text allows inside a hashtag (its ``hashtagSpecialChars``).
_SPECIAL = (
    "_\u200c\u200d\ua67e\u05be\u05f3\u05f4\uff5e\u301c\u309b\u309c\u30a0\u30fb\u3003"
    "\u0f0b\u0f0c\u00b7"
)


# Where letters, marks and decimal digits can be: planes 0-3 and plane 14 (variation
# selectors are marks). Planes 4-13 are unassigned and 15-16 are private use in every Unicode
# version so far; skipping them makes the scan (paid by every process that imports this: each
# Dagster run, each command) a third of the whole code space. A test checks the claim against
# a full scan with the running Python's Unicode tables.
SCANNED_PLANES = (range(0x00000, 0x40000), range(0xE0000, 0xF0000))


def _code_points() -> Iterator[int]:
    for plane in SCANNED_PLANES:
        yield from plane


def _class_body(code_points: list[int]) -> str:
    """Compress ascending code points into an ``re`` class body of ranges."""
    parts: list[str] = []
    start = prev = -2
    for cp in code_points:
        if cp != prev + 1:
            if start >= 0:
                parts.append(_span(start, prev))
            start = cp
        prev = cp
    if start >= 0:
        parts.append(_span(start, prev))
    return "".join(parts)


def _span(a: int, b: int) -> str:
    esc = lambda c: re.escape(chr(c))  # noqa: E731
    return esc(a) if a == b else f"{esc(a)}-{esc(b)}"


def _pattern(alpha: str, alnum: str) -> re.Pattern[str]:
    """A hashtag, with the sign first (so the engine jumps from sign to sign) and the body
    atomic and followed by neither a sign nor ``://`` (a match refused there consumes nothing
    more than its own run, as the rule's "skip that match" does)."""
    return re.compile(
        # The sign, never the start of a keycap emoji (#️⃣).
        r"[#＃]"
        # Boundary before the sign: start of text, after a variation selector, or after
        # anything that is neither a hashtag character nor '&' (twitter-text's
        # hashtagBoundary).
        rf"(?:(?<![{alnum}&][#＃])|(?<=[\ufe0e\ufe0f][#＃]))"
        r"(?![\ufe0f\u20e3])"
        rf"((?>[{alnum}]*[{alpha}][{alnum}]*))"
        r"(?![#＃]|://)"
    )


def _build() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The pattern for any text, and the same rules for text without astral characters.

    A class holding astral ranges tests each of them for every character it rejects (the
    characters around every tag); one of BMP characters only is a single table lookup. The
    two give the same matches on text without astral characters (which are then out of
    reach), so such text, most captions, takes the fast one.
    """
    special = {ord(c) for c in _SPECIAL}
    letters: list[int] = []  # letters and marks
    word: list[int] = []  # what a hashtag may hold: those, decimal digits, the specials
    category = unicodedata.category
    for cp in _code_points():
        cat = category(chr(cp))
        if cat[0] in "LM":
            letters.append(cp)
            word.append(cp)
        elif cat == "Nd" or cp in special:
            word.append(cp)
    full = _pattern(_class_body(letters), _class_body(word))
    bmp = _pattern(
        _class_body([cp for cp in letters if cp <= 0xFFFF]),
        _class_body([cp for cp in word if cp <= 0xFFFF]),
    )
    ascii_letters = [cp for cp in letters if cp < 0x80]
    ascii_only = _ascii_pattern(
        _class_body(ascii_letters),
        _class_body([cp for cp in word if cp < 0x80]),
        _class_body([cp for cp in word if cp < 0x80 and cp not in ascii_letters]),
    )
    return full, bmp, ascii_only


def _ascii_pattern(alpha: str, alnum: str, other: str) -> re.Pattern[str]:
    """:func:`_pattern` for ASCII text, which holds no full-width sign, variation selector
    or keycap: those branches drop out, and the sign becomes one literal ``#`` that the
    engine finds by a plain search (a third faster on a typical caption). The body is the
    same run read without backtracking: the characters before its first letter (``other``:
    hashtag characters that are not letters), the letter, then the rest of the run
    possessively, which is what the atomic group of :func:`_pattern` keeps."""
    return re.compile(rf"#(?<![{alnum}&]#)([{other}]*[{alpha}][{alnum}]*+)(?!#|://)")


_HASHTAG_RE, _HASHTAG_BMP_RE, _HASHTAG_ASCII_RE = _build()


def _pattern_for(text: str) -> re.Pattern[str]:
    """The cheapest of the three patterns that gives ``text`` the full pattern's matches."""
    if text.isascii():
        return _HASHTAG_ASCII_RE
    return _HASHTAG_BMP_RE if max(text) <= "\uffff" else _HASHTAG_RE


# URLs: a scheme (``https://``), ``www.``, or a bare domain followed by a path
# (``example.com/…``); a hashtag inside one is an anchor or a path part, not a tag. A URL
# runs from its start to the end of its run of non-space characters. The single regex this
# replaces (``\b[a-z][a-z0-9+.-]*://…|\bwww\.…|\b(?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?/…``)
# was tried at every label start of a long dotted run (``a.a.a.…``) and scanned the rest of
# the run each time: quadratic. Here each run is split on its ``://`` and ``/`` anchors and
# the text before an anchor is read backwards once (on the reversed text), so every
# character is looked at a bounded number of times.
_RUN_RE = re.compile(r"[^\s<>\"]+")
_WWW_RE = re.compile(r"\bwww\.", re.IGNORECASE)
_SCHEME_TAIL_RE = re.compile(r"[a-z0-9+.\-]*", re.IGNORECASE)  # on the reversed text
_SCHEME_START_RE = re.compile(r"\b[a-z]", re.IGNORECASE)
_PORT_RE = re.compile(r"\d+:", re.IGNORECASE)  # reversed ``:\d+``
_TLD_RE = re.compile(r"[a-z]{2,}\.", re.IGNORECASE)  # reversed ``.tld``
_LABELS_RE = re.compile(r"[a-z0-9\-.]*", re.IGNORECASE)  # reversed ``(?:label\.)*`` chars
_LABEL_START_RE = re.compile(r"\b[a-z0-9\-]", re.IGNORECASE)


def url_spans(text: str, stop: int | None = None) -> list[tuple[int, int]]:
    """``(start, end)`` of every URL in ``text[:stop]``; linear in its length."""
    stop = len(text) if stop is None else stop
    if text.find("/", 0, stop) == -1 and not _may_hold_www(text, stop):
        return []
    reverse = text[:stop][::-1]
    spans = []
    for run in _RUN_RE.finditer(text, 0, stop):
        starts = [
            _first_www(text, run.start(), run.end()),
            _first_scheme(text, reverse, run.start(), run.end()),
            _first_domain(text, reverse, run.start(), run.end()),
        ]
        found = [s for s in starts if s is not None]
        if found:
            spans.append((min(found), run.end()))
    return spans


def _may_hold_www(text: str, stop: int) -> bool:
    """Whether ``text[:stop]`` holds ``www`` in any case, as ``re.IGNORECASE`` would find it,
    at a third of a regex search's cost: no character but ``W`` lowers to (or holds) a ``w``,
    and none but ``W`` and ``w`` matches one ignoring case (a test checks every code point)."""
    head = text if stop >= len(text) else text[:stop]
    return "www" in head.lower()


def _back(reverse: str, pattern: re.Pattern[str], end: int) -> int | None:
    """Where ``pattern`` read backwards from just before ``end`` starts (in forward indices)."""
    match = pattern.match(reverse, len(reverse) - end)
    return None if match is None else len(reverse) - match.end()


def _first_www(text: str, start: int, end: int) -> int | None:
    match = _WWW_RE.search(text, start, end)
    return match.start() if match is not None and match.end() < end else None


def _first_scheme(text: str, reverse: str, start: int, end: int) -> int | None:
    r"""Earliest ``\b[a-z][a-z0-9+.-]*://`` with at least one character after it."""
    anchor = text.find("://", start, end)
    while anchor != -1 and anchor + 3 < end:
        tail = _back(reverse, _SCHEME_TAIL_RE, anchor)
        assert tail is not None  # ``*`` always matches
        first = _SCHEME_START_RE.search(text, max(tail, start), anchor)
        if first is not None:
            return first.start()
        anchor = text.find("://", anchor + 3, end)
    return None


def _first_domain(text: str, reverse: str, start: int, end: int) -> int | None:
    r"""Earliest ``\b(?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?/``."""
    slash = text.find("/", start, end)
    while slash != -1:
        found = _domain_before(text, reverse, start, slash)
        if found is not None:
            return found
        slash = text.find("/", slash + 1, end)
    return None


def _domain_before(text: str, reverse: str, start: int, slash: int) -> int | None:
    tld_end = _back(reverse, _PORT_RE, slash)
    tld_end = slash if tld_end is None else tld_end
    dot = _back(reverse, _TLD_RE, tld_end)  # the dot before the top-level domain
    if dot is None or dot < start:
        return None
    labels = _back(reverse, _LABELS_RE, dot)
    assert labels is not None
    lowest = max(labels, start)
    double = text.rfind("..", lowest, dot + 1)
    if double != -1:
        lowest = double + 2
    first = _LABEL_START_RE.search(text, lowest, dot)
    return first.start() if first is not None else None


# Instagram usernames: ASCII letters, digits, '.', '_', at most 30 characters. The '@' must
# not follow a username character (e-mail addresses) and must not be doubled. The sign comes
# first and the test of what precedes it after (a lookbehind over the sign and the character
# before it): the engine then jumps from sign to sign instead of trying every position, three
# times faster on a caption, with the same matches.
_MENTION_RE = re.compile(r"[@＠](?<![A-Za-z0-9_.@＠][@＠])([A-Za-z0-9_.]{1,30})(?![A-Za-z0-9_@＠])")


def ignored_characters(text: str | None) -> int:
    """How many characters of ``text`` lie past Instagram's caption limit (and are ignored)."""
    return max(0, len(text or "") - INSTAGRAM_CAPTION_LIMIT)


def extract_hashtags_with_indices(
    text: str | None, *, limit: int | None = INSTAGRAM_HASHTAG_CAP
) -> list[tuple[str, int, int]]:
    """``(tag, start, end)`` per hashtag; ``start`` is the ``#``, ``end`` is exclusive.

    Indices count code points (Python string indices), as twitter-text's conformance data does.
    Only the first ``INSTAGRAM_CAPTION_LIMIT`` characters count; a tag cut by the limit is
    not taken.
    """
    if not text or ("#" not in text and "＃" not in text):
        return []
    stop = min(len(text), INSTAGRAM_CAPTION_LIMIT)
    pattern = _pattern_for(text)
    urls = None
    found: list[tuple[str, int, int]] = []
    for match in pattern.finditer(text, 0, stop):
        start, end = match.span()
        if end > stop - 3 and text.startswith("://", end):
            continue  # the lookahead stops at ``stop``; the rule sees the whole text
        if end == stop < len(text):
            whole = pattern.match(text, start)
            if whole is None or whole.end() != end:
                continue  # the limit cut this tag
        if urls is None:
            urls = url_spans(text, stop)
        if urls and any(u_start < end and start < u_end for u_start, u_end in urls):
            continue
        found.append((match.group(1), start, end))
        if limit is not None and len(found) >= limit:
            break
    return found


def extract_hashtags(text: str | None, *, limit: int | None = INSTAGRAM_HASHTAG_CAP) -> list[str]:
    """Hashtags in caption order, without the sign, case kept, duplicates kept.

    ``limit`` applies Instagram's cap (first 30 kept); ``None`` lifts it.

    Most captions hold no URL and fit the caption limit: then no match is refused after
    the pattern's own rules, and the tags are the pattern's ``findall`` (a third of the
    cost of walking the matches, which a load pays for nearly every post).
    """
    if not text or ("#" not in text and "＃" not in text):
        return []
    if (
        len(text) <= INSTAGRAM_CAPTION_LIMIT
        and (limit is None or limit > 0)
        # :func:`url_spans`'s own first test (and :func:`_may_hold_www`'s), written out: a
        # load pays this for nearly every post.
        and "/" not in text
        and "www" not in text.lower()
    ):
        tags: list[str] = _pattern_for(text).findall(text)
        return tags if limit is None or len(tags) <= limit else tags[:limit]
    return [tag for tag, _, _ in extract_hashtags_with_indices(text, limit=limit)]


def extract_hashtags_each(texts: Sequence[str | None]) -> list[list[str]]:
    """``[extract_hashtags(text) for text in texts]``: an answer's captions at once.

    When every text is ASCII, fits the caption limit and may hold no URL (the captions of
    most answers), the tests are made once, on the texts joined, and each text's tags are the
    ASCII pattern's ``findall``, mapped over them with no Python call per caption.
    """
    plain = texts if None not in texts else [text or "" for text in texts]
    joined = "\n".join(plain)  # "\n" joins no "www" and adds no "/" or non-ASCII character
    if (
        joined.isascii()
        and "/" not in joined
        and "www" not in joined.lower()
        and max(map(len, plain), default=0) <= INSTAGRAM_CAPTION_LIMIT
    ):
        found = list(map(_HASHTAG_ASCII_RE.findall, plain))
        if max(map(len, found), default=0) > INSTAGRAM_HASHTAG_CAP:
            found = [tags[:INSTAGRAM_HASHTAG_CAP] for tags in found]
        return found
    return [extract_hashtags(text) for text in plain]


def normalize_each(tag_lists: Sequence[Sequence[str]]) -> list[list[str]]:
    """``[[normalize_hashtag(tag) for tag in tags] for tags in tag_lists]``.

    An ASCII tag without a sign is its own NFC form and folds to its lower case, so a list of
    such tags (nearly every caption's) is lowered at once, without a lookup per tag in the
    key cache (whose misses, in a table that size, cost more than the lowering).
    """
    found = []
    for tags in tag_lists:
        if not tags:
            found.append([])
            continue
        joined = "".join(tags)
        if joined.isascii() and "#" not in joined:
            # Tags already in lower case are their own keys: no new strings for them.
            found.append(list(tags) if joined.islower() else list(map(str.lower, tags)))
        else:
            found.append(list(map(normalize_hashtag, tags)))
    return found


def extract_mentions(text: str | None) -> list[str]:
    """``@username`` mentions in order, without the ``@``; a trailing full stop is punctuation."""
    if not text or ("@" not in text and "＠" not in text):
        return []
    names: list[str] = _MENTION_RE.findall(text)
    if "." not in "".join(names):
        return names  # no name to trim (each is one character at least)
    return [name for found in names if (name := found.rstrip("."))]
