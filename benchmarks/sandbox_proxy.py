"""Requests per second through the sandbox proxy to the fake Instagram, at a few concurrencies.

Run: ``python benchmarks/sandbox_proxy.py`` from the project root. Shows the sandbox keeps up
with a fetcher and that the proxy's peak connection count follows the client's limit.
"""

from __future__ import annotations

import asyncio
import time

import httpx

from sandbox.world import SandboxConfig, start_sandbox


async def burst(world, concurrency: int, requests: int) -> float:
    limits = httpx.Limits(max_connections=concurrency)
    names = world.public_usernames()
    url = world.instagram_url + "/api/v1/users/web_profile_info/"
    async with httpx.AsyncClient(proxy=world.proxy_url, limits=limits, trust_env=False) as client:
        started = time.perf_counter()
        await asyncio.gather(
            *(client.get(url, params={"username": names[i % len(names)]}) for i in range(requests))
        )
        return time.perf_counter() - started


def main() -> None:
    with start_sandbox(SandboxConfig(profiles=500, budget=1_000_000)) as world:
        for concurrency in (1, 4, 16):
            world.proxy.connections.reset_peak()
            took = asyncio.run(burst(world, concurrency, 400))
            print(
                f"concurrency {concurrency:>2}: {400 / took:6.0f} req/s, "
                f"peak proxy connections {world.peak_proxy_connections}"
            )


if __name__ == "__main__":
    main()
