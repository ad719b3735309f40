"""Words that belong to no one language: trend candidates, emoji, username parts and
profile categories."""

from __future__ import annotations

# Candidates for planted trends, one per script; none is a background tag. Case is kept as
# it appears in captions (the analysis normalises; the ground truth does not).
TREND_CANDIDATES: tuple[str, ...] = (
    "AuroraNights",
    "nordlichter",
    "오로라여행",
    "северноесияние",
    "オーロラ観測",
    "eclipsetotal",
    "दीपोत्सव",
    "خسوف_القمر",
    "chuvademeteoros",
    "pluiedetoiles",
)

EMOJI: tuple[str, ...] = (
    "✨",
    "🌅",
    "🔥",
    "❤️",
    "😂",
    "🙏",
    "🌎",
    "📸",
    "☕",
    "🎉",
    "💪",
    "🌸",
    "🇧🇷",
    "👩‍💻",
    "🏖️",
    "😍",
    "🙌🏽",
)

# ASCII words for usernames: Instagram usernames are letters, digits, "_" and ".".
USERNAME_WORDS: tuple[str, ...] = (
    "sun",
    "moon",
    "coffee",
    "travel",
    "pixel",
    "wander",
    "salt",
    "ocean",
    "urban",
    "wild",
    "green",
    "lens",
    "daily",
    "happy",
    "north",
    "velvet",
    "maple",
    "cosmo",
    "lucky",
    "indie",
    "bloom",
    "story",
    "river",
    "metro",
    "studio",
    "kitchen",
    "nomad",
    "atlas",
    "retro",
    "zen",
)

CATEGORIES: tuple[str | None, ...] = (
    "Artist",
    "Photographer",
    "Blogger",
    "Personal blog",
    "Public figure",
    "Musician/band",
    "Digital creator",
    "Restaurant",
    "Travel company",
    "Athlete",
    None,
    None,
    None,
)
