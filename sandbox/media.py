"""Media ids, shortcodes, CDN addresses and the envelope every media node shares."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sandbox.captions import DAY
from sandbox.rng import rng_for, stable_int

if TYPE_CHECKING:
    from sandbox.profiles import Profile

IG_EPOCH_MS = 1_314_220_021_721  # Instagram media ids count milliseconds from here
SHORTCODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
CDN_POPS = ("cdt1-1", "cdg2-1", "frt3-1", "frx5-1", "lhr8-1", "gru2-1", "nrt1-1")


def shortcode(media_id: int) -> str:
    """Instagram's shortcode: the media id written in its URL-safe base64 alphabet."""
    chars = []
    while media_id:
        media_id, rem = divmod(media_id, 64)
        chars.append(SHORTCODE_ALPHABET[rem])
    return "".join(reversed(chars)) or "A"


def media_id(p: Profile, taken_at: int, seq: int) -> int:
    """An id laid out like Instagram's: time, then a shard (the profile), then a sequence."""
    return ((taken_at * 1000 - IG_EPOCH_MS) << 23) | ((p.index % 8192) << 10) | (seq % 1024)


CDN_HOST_RE = r"scontent-[a-z0-9-]+\.cdninstagram\.com"


def cdn_sub(kind: str) -> str:
    """The path's second segment: images and videos live under different buckets."""
    return "t51.2885-15" if kind == "jpg" else "t50.2886-16"


def cdn_nums(h: int) -> str:
    """The numeric file name of a CDN object, derived from its hash."""
    return f"{h % 10**9}_{(h >> 7) % 10**15}_{(h >> 11) % 10**19}"


@dataclass
class CdnAddresses:
    """Where media live and when their signatures expire.

    Without an ``origin`` the addresses are the real ``https://scontent-….cdninstagram.com``
    ones (nothing serves them); with one (the sandbox CDN, ``http://127.0.0.1:PORT``) the
    same host and path sit under it, so a client reaches them through the proxy host.
    """

    seed: int
    window: float = 3 * DAY
    jitter: float = DAY
    origin: str | None = None

    def url(self, key: tuple[Any, ...], now: float, kind: str = "jpg") -> str:
        """A signed-looking CDN address whose expiry moves with ``now``, as the real ones do."""
        h = stable_int(self.seed, "cdn", *key)
        pop = CDN_POPS[h % len(CDN_POPS)]
        spread = int(h % int(self.jitter)) if self.jitter >= 1 else 0
        expiry = int(now // 3600 * 3600 + self.window + spread)
        if self.window < DAY:
            # Short windows (tests, benchmarks) are not floored to the hour: the floor would
            # take up to an hour off them, so a URL could expire almost at once.
            expiry = int(now + self.window + spread)
        host = f"scontent-{pop}.cdninstagram.com"
        prefix = f"{self.origin}/{host}" if self.origin else f"https://{host}"
        ohc = base64.urlsafe_b64encode(h.to_bytes(8, "big")).decode()[:11]
        return (
            f"{prefix}/v/{cdn_sub(kind)}/{cdn_nums(h)}_n.{kind}"
            f"?stp=dst-jpg_e35_s1080x1080&_nc_ht={host}"
            f"&_nc_cat={h % 120}&_nc_ohc={ohc}"
            f"&edm=AOQ1c0wBAAAA&ccb=7-5&oh=00_AT{h:016x}&oe={expiry:08X}&_nc_sid=8fd12b"
        )


def resized(url: str, widths: tuple[int, ...]) -> list[dict[str, Any]]:
    """The square renditions of a CDN image, as ``thumbnail_resources``/``display_resources``."""
    return [
        {"src": url.replace("s1080x1080", f"s{w}x{w}"), "config_width": w, "config_height": w}
        for w in widths
    ]


def media_node(
    p: Profile,
    typename: str,
    node_id: int,
    *,
    height: int,
    display_url: str,
    accessibility: str | None,
) -> dict[str, Any]:
    """The envelope every media node shares, timeline post or sidecar child, with the
    fields the real answer carries that nobody reads."""
    return {
        "__typename": typename,
        "id": str(node_id),
        "shortcode": shortcode(node_id),
        "dimensions": {"height": height, "width": 1080},
        "display_url": display_url,
        "edge_media_to_tagged_user": {"edges": []},
        "fact_check_overall_rating": None,
        "fact_check_information": None,
        "gating_info": None,
        "sharing_friction_info": {"should_have_sharing_friction": False, "bloks_app_url": None},
        "media_overlay_info": None,
        "media_preview": None,
        "owner": {"id": p.user_id, "username": p.username},
        "is_video": typename == "GraphVideo",
        "has_upcoming_event": False,
        "accessibility_caption": accessibility,
    }


def video_fields(cdn: CdnAddresses, key: tuple[Any, ...], now: float, views: int) -> dict[str, Any]:
    """What a video node adds right after the envelope."""
    return {
        "has_audio": True,
        "video_url": cdn.url((*key, "v"), now, "mp4"),
        "video_view_count": views,
    }


def child_node(
    cdn: CdnAddresses, p: Profile, node_id: int, key: tuple[Any, ...], now: float
) -> dict:
    """One slide of a sidecar: an image or (a quarter of the time) a video."""
    rng = rng_for(cdn.seed, "child", *key)
    is_video = rng.random() < 0.25
    node = media_node(
        p,
        "GraphVideo" if is_video else "GraphImage",
        node_id,
        height=1350,
        display_url=cdn.url(key, now),
        accessibility=None if is_video else f"Photo by {p.full_name or p.username}.",
    )
    if is_video:
        node.update(video_fields(cdn, key, now, rng.randint(100, 50_000)))
    return node
