"""Caption writing: phrases, background hashtags, planted trends, mentions, emoji, traps.

Pure functions of a seeded ``random.Random`` and a timestamp, so a caption can be rebuilt
at any time without storing it.

Frequencies:

* background tags follow a Zipf-like law within each language (rank 1 is very common) plus
  a long tail of two-word compounds; their rate does not depend on time;
* planted trend tags are near zero until ``TREND_DAYS`` before the anchor, then rise
  linearly to ``TREND_PEAK`` at the anchor and stay there;
* ``tricky_share`` of captions carry one awkward form (hashtag in a URL, full-width ＃,
  digits-only tag, tag glued to punctuation or to another tag).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from sandbox.languages import EMOJI, LANGUAGE_BY_CODE, LANGUAGES, TREND_CANDIDATES, Language
from sandbox.rng import rng_for

DAY = 86_400.0
TREND_DAYS = 7.0
TREND_PEAK = 0.3  # chance per post and per trend tag once the trend is at full height
TREND_FLOOR = 0.002  # chance before the trend starts: near zero, not zero

TRICKY_KINDS: tuple[str, ...] = ("url", "fullwidth", "digits", "punctuation", "glued")
# Instagram's cap of 19 December 2025: new posts carry at most 5 hashtags (it was 30).
HASHTAG_CAP_SINCE = 1766102400.0  # 2025-12-19T00:00:00Z
HASHTAG_CAP = 5


def planted_trends(seed: int, count: int) -> list[str]:
    """The trend tags planted for ``seed``: ``count`` of the candidates, in seeded order."""
    candidates = list(TREND_CANDIDATES)
    rng_for(seed, "trends").shuffle(candidates)
    return candidates[:count]


def trend_probability(taken_at: float, anchor_ts: float) -> float:
    """Chance that a post taken at ``taken_at`` carries a given planted trend tag."""
    start = anchor_ts - TREND_DAYS * DAY
    if taken_at <= start:
        return TREND_FLOOR
    if taken_at >= anchor_ts:
        return TREND_PEAK
    return TREND_FLOOR + (TREND_PEAK - TREND_FLOOR) * (taken_at - start) / (anchor_ts - start)


def pick_language(rng: random.Random, main: str) -> Language:
    """Mostly the profile's own language; now and then another one, as bilingual users do."""
    if rng.random() < 0.85:
        return LANGUAGE_BY_CODE[main]
    return rng.choice(LANGUAGES)


def _zipf_choice(rng: random.Random, items: Sequence[str]) -> str:
    weights = [1.0 / (rank + 1) for rank in range(len(items))]
    return rng.choices(items, weights=weights)[0]


def background_tag(rng: random.Random, lang: Language) -> str:
    """One background tag: usually a ranked common tag, sometimes a long-tail compound."""
    roll = rng.random()
    if roll < 0.12:
        return rng.choice(lang.tags) + rng.choice(lang.tags)  # long tail: ~n² compounds
    if roll < 0.30:
        return _zipf_choice(rng, LANGUAGE_BY_CODE["en"].tags)  # English tags travel
    return _zipf_choice(rng, lang.tags)


def tricky_fragment(rng: random.Random, kind: str, tag: str) -> str:
    """A piece of caption text holding ``tag`` in an awkward form."""
    if kind == "url":
        return f"more at https://example.com/blog/post#{tag} and #{tag}"
    if kind == "fullwidth":
        return f"＃{tag}"
    if kind == "digits":
        return rng.choice(("#2024", "#1", "#365"))
    if kind == "punctuation":
        return rng.choice((f"#{tag}!", f"#{tag},", f"(#{tag})", f"#{tag}.", f"#{tag}…"))
    if kind == "glued":
        return f"#{tag}#{tag}s"
    raise ValueError(f"unknown tricky kind {kind!r}")


def capped(tags: list[str], keep: list[str], cap: int) -> list[str]:
    """``tags`` cut to ``cap``: the tags in ``keep`` (the trends) first, then the others in
    caption order; the order of the survivors is kept."""
    cap = max(0, cap)
    if len(tags) <= cap:
        return tags
    chosen: set[int] = set()
    for wanted in keep:
        for i, tag in enumerate(tags):
            if tag == wanted and i not in chosen and len(chosen) < cap:
                chosen.add(i)
                break
    for i in range(len(tags)):
        if len(chosen) >= cap:
            break
        chosen.add(i)
    return [tag for i, tag in enumerate(tags) if i in chosen]


def write_caption(
    rng: random.Random,
    *,
    main_language: str,
    taken_at: float,
    anchor_ts: float,
    trends: Sequence[str],
    mention_pool: Sequence[str],
    tricky_share: float,
    no_caption_share: float,
    hashtag_cap: bool = False,
) -> str | None:
    """The caption of one post, or None for a post without one.

    With ``hashtag_cap``, a post taken after :data:`HASHTAG_CAP_SINCE` carries at most
    :data:`HASHTAG_CAP` hashtags, trend tags kept first, a tricky form's tags included. The
    dice are rolled exactly as without the cap, so only the tag lists of capped posts differ.
    """
    if rng.random() < no_caption_share:
        return None
    lang = pick_language(rng, main_language)
    parts: list[str] = [rng.choice(lang.phrases)]
    if rng.random() < 0.6:
        parts[0] += " " + "".join(rng.choices(EMOJI, k=rng.randint(1, 3)))
    if mention_pool and rng.random() < 0.25:
        parts.append(f"with @{rng.choice(mention_pool)}" + rng.choice(("", "!", " 🙌")))
    tags = [background_tag(rng, lang) for _ in range(rng.choice((0, 1, 2, 3, 3, 4, 5, 6, 8)))]
    trend_tags: list[str] = []
    p_trend = trend_probability(taken_at, anchor_ts)
    for trend in trends:
        if rng.random() < p_trend:
            tags.insert(rng.randint(0, len(tags)), trend)
            trend_tags.append(trend)
    slot: int | None = None
    newline = ""
    if tags:
        if rng.random() < 0.3:
            slot = 1  # inline, mid-caption
            parts.insert(1, "")
        else:
            newline = "\n\n" if rng.random() < 0.5 else ""
            slot = len(parts)
            parts.append("")
    fragment_tags = 0
    if rng.random() < tricky_share:
        kind = rng.choice(TRICKY_KINDS)
        parts.append(tricky_fragment(rng, kind, _zipf_choice(rng, lang.tags)))
        fragment_tags = 2 if kind in ("url", "glued") else 1
    if hashtag_cap and taken_at >= HASHTAG_CAP_SINCE:
        tags = capped(tags, trend_tags, HASHTAG_CAP - fragment_tags)
    if slot is not None:
        if tags:
            parts[slot] = newline + " ".join(f"#{t}" for t in tags)
        else:
            del parts[slot]
    return " ".join(parts).replace(" \n\n", "\n\n")
