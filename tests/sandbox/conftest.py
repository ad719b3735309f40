"""Shared fixtures: a fixed anchor so generated bodies are reproducible across runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from sandbox.config import SandboxConfig
from sandbox.content import SandboxContent
from sandbox.world import SandboxWorld, start_sandbox

ANCHOR = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
PROFILE_PATH = "/api/v1/users/web_profile_info/"


@pytest.fixture(scope="session")
def cfg() -> SandboxConfig:
    return SandboxConfig(profiles=300, seed=7, anchor=ANCHOR)


@pytest.fixture(scope="session")
def content(cfg: SandboxConfig) -> SandboxContent:
    return SandboxContent(cfg)


@pytest.fixture
def world_factory() -> Iterator:
    """Start sandboxes with given config overrides; all are stopped after the test."""
    from contextlib import ExitStack

    with ExitStack() as stack:

        def make(**overrides: object) -> SandboxWorld:
            base = {"profiles": 50, "seed": 7, "anchor": ANCHOR, "rotation_seconds": 0.0}
            return stack.enter_context(start_sandbox(SandboxConfig(**{**base, **overrides})))

        yield make
