"""The hashtag URL scan on adversarial captions: the old regex against the linear scan.

A caption of ``a.`` repeated (a dotted run with no slash after it) made the old URL regex
try every label start and scan the rest of the run each time. Prints seconds for the old
regex (10 and 20 KB: it is quadratic, 40 KB takes it about 20 s), for ``url_spans`` on the
whole text (20, 40, 400 KB: linear), and for ``extract_hashtags`` on a 40 KB caption (which
reads only the first 2,200 characters).

    .venv/bin/python benchmarks/hashtags.py
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from intrend_assets.hashtags import extract_hashtags, url_spans

OLD_URL_RE = re.compile(
    r"(?:\b[a-z][a-z0-9+.\-]*://|\bwww\.)[^\s<>\"]+"
    r"|\b(?:[a-z0-9\-]+\.)+[a-z]{2,}(?::\d+)?/[^\s<>\"]*",
    re.IGNORECASE,
)


def caption(kilobytes: int, unit: str = "a.") -> str:
    return "#tag / " + unit * (kilobytes * 1000 // len(unit))


def seconds(call: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    for kb in (10, 20):
        text = caption(kb)
        old = seconds(lambda text=text: list(OLD_URL_RE.finditer(text)), repeat=1)
        print(f"old regex       {kb:>4} KB of 'a.': {old:8.3f} s")
    for kb in (20, 40, 400):
        for unit in ("a.", "a-", "a://", "a.b/"):
            text = caption(kb, unit)
            took = seconds(lambda text=text: url_spans(text))
            print(f"url_spans       {kb:>4} KB of {unit!r:<6}: {took:8.4f} s")
    text = caption(40)
    took = seconds(lambda: extract_hashtags(text))
    print(f"extract_hashtags  40 KB of 'a.': {took * 1e6:8.0f} µs")


if __name__ == "__main__":
    main()
