"""Shared inputs: the real Instagram samples and the conformance data beside the clone."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT.parent / "shared"
SAMPLES = SHARED / "real-samples" / "instagram"


def sample_bytes(name: str) -> bytes:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"{path} missing: CI keeps ../shared beside the clone")
    return path.read_bytes()


@pytest.fixture
def profile_2022() -> bytes:
    return sample_bytes("web_profile_info_2022.json")


@pytest.fixture
def page_2020() -> bytes:
    return sample_bytes("timeline_page_2020.json")


@pytest.fixture
def page_2017() -> bytes:
    return sample_bytes("timeline_page_2017.json")
