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
) -> str | None:
    """The caption of one post, or None for a post without one."""
    if rng.random() < no_caption_share:
        return None
    lang = pick_language(rng, main_language)
    parts: list[str] = [rng.choice(lang.phrases)]
    if rng.random() < 0.6:
        parts[0] += " " + "".join(rng.choices(EMOJI, k=rng.randint(1, 3)))
    if mention_pool and rng.random() < 0.25:
        parts.append(f"with @{rng.choice(mention_pool)}" + rng.choice(("", "!", " 🙌")))
    tags = [background_tag(rng, lang) for _ in range(rng.choice((0, 1, 2, 3, 3, 4, 5, 6, 8)))]
    p_trend = trend_probability(taken_at, anchor_ts)
    for trend in trends:
        if rng.random() < p_trend:
            tags.insert(rng.randint(0, len(tags)), trend)
    if tags:
        hashtags = " ".join(f"#{t}" for t in tags)
        if rng.random() < 0.3:
            parts.insert(1, hashtags)  # inline, mid-caption
        else:
            parts.append(("\n\n" if rng.random() < 0.5 else "") + hashtags)
    if rng.random() < tricky_share:
        kind = rng.choice(TRICKY_KINDS)
        parts.append(tricky_fragment(rng, kind, _zipf_choice(rng, lang.tags)))
    return " ".join(parts).replace(" \n\n", "\n\n")
