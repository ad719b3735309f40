"""Hypothesis: ``parse_profile`` gives rows or ``ProfileParseError``, never another exception.

Inputs start from real answers (the 2022 ``web_profile_info`` sample and the sandbox's own
bodies; the contract's v1 answers of the ``doc_id`` strategies, also embedded in an HTML page)
and get random deletions, type changes and nulls at random places of the tree, as an
endpoint that drifts would send them; raw byte spoiling covers the decode path.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intrend_assets.parsing.profile import ParsedProfile, ProfileParseError, parse_profile
from sandbox.config import SandboxConfig
from sandbox.content import SandboxContent
from tests.parsing.wire import CONTRACT_V1_TIMELINE, CONTRACT_V1_USER, relay_page

REAL = Path("/work/shared/real-samples/instagram/web_profile_info_2022.json")


def _bases() -> list[Any]:
    content = SandboxContent(SandboxConfig(profiles=5, seed=3).resolved())
    bases: list[Any] = [content.profile_response(content.public_usernames()[0])]
    if REAL.is_file():
        bases.append(json.loads(REAL.read_text(encoding="utf-8")))
    return bases


BASES = _bases()
V1_BASES: list[Any] = [CONTRACT_V1_USER, CONTRACT_V1_TIMELINE]

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
REPLACEMENTS = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.text(max_size=8), SCALARS, max_size=3),
)


def _paths(tree: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(tree, dict):
        for key, value in tree.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree[:4]):
            out += _paths(value, (*prefix, index))
    return out


@st.composite
def drifted_bodies(draw: st.DrawFn, bases: list[Any] = BASES) -> Any:
    body = copy.deepcopy(draw(st.sampled_from(bases)))
    paths = _paths(body)
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        path = draw(st.sampled_from(paths))
        if not path:
            if draw(st.booleans()):
                body = draw(REPLACEMENTS)
            continue
        parent = body
        try:
            for step in path[:-1]:
                parent = parent[step]
            if draw(st.booleans()) and isinstance(parent, dict):
                parent.pop(path[-1], None)  # a field missing
            elif isinstance(parent, dict | list):
                parent[path[-1]] = draw(REPLACEMENTS)  # a field of another type, or null
        except (KeyError, IndexError, TypeError):
            continue
    return body


def _check(payload: Any) -> None:
    if not isinstance(payload, dict | bytes | str):
        # The contract takes a decoded dict or a raw body: any other JSON value comes as text.
        payload = json.dumps(payload).encode()
    try:
        parsed = parse_profile(payload, username="someone")
    except ProfileParseError:
        return
    assert isinstance(parsed, ParsedProfile)
    frame = parsed.posts
    assert frame.height == parsed.post_count
    assert all(v is not None for v in frame["post_id"].to_list())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drifted_bodies())
def test_drifted_dicts_parse_or_raise_the_documented_error(body: Any) -> None:
    _check(body)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drifted_bodies(), st.sampled_from(["json", "zstd", "str"]))
def test_drifted_bodies_in_every_encoding(body: Any, encoding: str) -> None:
    raw = json.dumps(body).encode()
    if encoding == "zstd":
        raw = zstandard.ZstdCompressor().compress(raw)
    _check(raw.decode() if encoding == "str" else raw)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(BASES),
    st.integers(min_value=0, max_value=10_000),
    st.binary(max_size=8),
    st.booleans(),
)
def test_spoiled_bytes_parse_or_raise_the_documented_error(
    base: Any, cut: int, junk: bytes, compress: bool
) -> None:
    raw = json.dumps(base).encode()
    if compress:
        raw = zstandard.ZstdCompressor().compress(raw)
    cut = cut % (len(raw) + 1)
    _check(raw[:cut] + junk + raw[cut + len(junk) :])


@settings(max_examples=200, deadline=None)
@given(st.recursive(SCALARS, lambda kids: st.lists(kids) | st.dictionaries(st.text(), kids)))
def test_arbitrary_json_trees(tree: Any) -> None:
    _check(tree)
    _check({"data": {"user": tree}})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drifted_bodies(V1_BASES))
def test_drifted_v1_answers_parse_or_raise_the_documented_error(body: Any) -> None:
    _check(body)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drifted_bodies([*BASES, *V1_BASES]), st.booleans())
def test_drifted_users_in_an_html_page(body: Any, compress: bool) -> None:
    """Whatever sits under ``data.user`` is embedded; the page parses or raises cleanly."""
    data = body.get("data") if isinstance(body, dict) else None
    user = data.get("user") if isinstance(data, dict) else body
    raw = relay_page(user).encode()
    _check(zstandard.ZstdCompressor().compress(raw) if compress else raw)
