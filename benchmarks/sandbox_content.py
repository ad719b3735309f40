"""How fast the sandbox builds bodies, and how big they are.

Run: ``python benchmarks/sandbox_content.py`` from the project root.

The fake Instagram generates every body on request; this shows it is far from being the
bottleneck of a fetch run, even with many thousands of profiles.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from sandbox.config import SandboxConfig
from sandbox.content import SandboxContent


def main() -> None:
    anchor = datetime(2026, 6, 1, tzinfo=UTC)
    content = SandboxContent(SandboxConfig(profiles=100_000, anchor=anchor))
    names = [content.username(i) for i in range(0, 100_000, 50)]
    started = time.perf_counter()
    sizes = [len(json.dumps(content.profile_response(n, anchor.timestamp()))) for n in names]
    took = time.perf_counter() - started
    print(f"{len(names)} profile bodies in {took:.2f} s: {took / len(names) * 1000:.2f} ms each")
    mean_kib, max_kib = sum(sizes) / len(sizes) / 1024, max(sizes) / 1024
    print(f"body size: mean {mean_kib:.1f} KiB, max {max_kib:.1f} KiB")
    user_id = content.user_id(0)
    started = time.perf_counter()
    for _ in range(200):
        content.timeline_page(user_id, 50, None, anchor.timestamp())
    took = time.perf_counter() - started
    print(f"timeline page of 50 posts: {took / 200 * 1000:.2f} ms")


if __name__ == "__main__":
    main()
