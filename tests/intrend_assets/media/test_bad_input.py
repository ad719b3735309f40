"""Bad input: hostile URLs never fetched; truncated or non-image bodies retried, never stored."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import httpx
import pytest
from PIL import Image

from intrend_assets.media.archive import Archiver
from intrend_assets.media.content import NotMedia, inspect
from intrend_assets.media.download import DownloadConfig, MediaDownloader
from intrend_assets.media.refs import MediaRef
from intrend_assets.media.store import MediaStore
from intrend_assets.media.urls import MediaUrlRefused, check_url, normal_origins
from intrend_assets.raw_store.blobs import LocalBlobs

GOOD = "https://scontent-cdg2-1.cdninstagram.com/v/t51.2885-15/1_2_3_n.jpg?oe=7FFFFFFF"


def _jpeg(side: int = 32, colour: tuple[int, int, int] = (200, 30, 90)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (side, side), colour).save(out, "JPEG")
    return out.getvalue()


@pytest.mark.parametrize(
    "url",
    [
        "http://scontent-cdg2-1.cdninstagram.com/v/x.jpg",  # not https
        "https://127.0.0.1/v/x.jpg",
        "https://[::1]/v/x.jpg",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.1/v/x.jpg",
        "https://localhost/v/x.jpg",
        "https://modem.internal/rotate",
        "https://cdninstagram.com.evil.example/v/x.jpg",
        "https://evilcdninstagram.com/v/x.jpg",
        "https://user:pw@scontent.cdninstagram.com/v/x.jpg",
        "https://scontent.cdninstagram.com:8443/v/x.jpg",
        "file:///etc/passwd",
        "ftp://scontent.cdninstagram.com/x.jpg",
        "not a url at all",
        "",
    ],
)
def test_hostile_urls_are_refused(url: str) -> None:
    with pytest.raises(MediaUrlRefused):
        check_url(url)


def test_cdn_hosts_and_only_the_named_origin_are_allowed() -> None:
    assert check_url(GOOD).host == "scontent-cdg2-1.cdninstagram.com"
    assert check_url("https://scontent.xx.fbcdn.net/v/x.jpg").host == "scontent.xx.fbcdn.net"
    allowed = normal_origins(["http://127.0.0.1:5123/"])
    assert check_url("http://127.0.0.1:5123/scontent-x.cdninstagram.com/v/a.jpg", allowed)
    for other in ("http://127.0.0.1:5124/a.jpg", "https://127.0.0.1:5123/a.jpg"):
        with pytest.raises(MediaUrlRefused):
            check_url(other, allowed)


def test_truncated_and_non_image_bodies_are_not_media() -> None:
    whole = _jpeg()
    assert inspect(whole).content_type == "image/jpeg"
    assert (inspect(whole).width, inspect(whole).height) == (32, 32)
    for bad in (whole[: len(whole) // 2], b"<!DOCTYPE html><html></html>", b"", b"\x00" * 64):
        with pytest.raises(NotMedia):
            inspect(bad)
    with pytest.raises(NotMedia):
        inspect(whole, expected_length=len(whole) + 10)


def _run(tmp_path: Path, handler, url: str = GOOD, attempts: int = 3):
    store = MediaStore(LocalBlobs(tmp_path))
    config = DownloadConfig(
        proxy=None, allowed_origins=frozenset(), max_attempts=attempts, backoff_seconds=0.0
    )

    async def go():
        downloader = MediaDownloader(config, transport=httpx.MockTransport(handler))
        try:
            return await Archiver(downloader, store).run(
                {"someone": [MediaRef("someone", "1", "thumbnail", 0, url)]}
            )
        finally:
            await downloader.aclose()

    report = asyncio.run(go())
    return report, store


def test_a_truncated_body_is_retried_and_the_whole_one_stored(tmp_path: Path) -> None:
    whole = _jpeg()
    answers = [whole[:100], b"<html>oops</html>", whole]
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url)
        return httpx.Response(200, content=answers[len(calls) - 1])

    report, store = _run(tmp_path, handler)
    assert len(calls) == 3 and report.archived == 1
    (record,) = store.records("someone")
    assert store.get(record.sha256, "jpg") == whole


def test_a_body_that_is_never_an_image_is_recorded_and_not_stored(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=b"<html>login</html>", headers={"content-type": "image/jpeg"}
        )

    report, store = _run(tmp_path, handler)
    assert report.statuses == {"failed": 1}
    assert "not a whole medium" in store.records("someone")[0].reason
    assert store.bytes_stored() == 0


def test_a_hostile_url_is_never_requested(tmp_path: Path) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url)
        return httpx.Response(200, content=_jpeg())

    report, store = _run(tmp_path, handler, url="https://169.254.169.254/latest/meta-data/")
    assert calls == [] and report.statuses == {"refused": 1}
    assert store.records("someone")[0].reason.startswith("hostile URL")


def test_an_expired_answer_is_recorded_when_nothing_renews_it(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, content=b"URL signature expired")

    report, store = _run(tmp_path, handler)
    assert report.statuses == {"expired": 1}
    assert store.records("someone")[0].reason == "expired; renewal is off"


def test_an_oversized_body_is_refused(tmp_path: Path) -> None:
    store = MediaStore(LocalBlobs(tmp_path))
    config = DownloadConfig(proxy=None, allowed_origins=frozenset(), max_bytes=1000)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"x" * 5000)

    async def go():
        downloader = MediaDownloader(config, transport=httpx.MockTransport(handler))
        try:
            return await Archiver(downloader, store).run(
                {"someone": [MediaRef("someone", "1", "thumbnail", 0, GOOD)]}
            )
        finally:
            await downloader.aclose()

    assert asyncio.run(go()).statuses == {"refused": 1}


def test_cdn_429s_pause_the_downloader_without_spending_attempts(tmp_path: Path) -> None:
    answers = [httpx.Response(429), httpx.Response(429), httpx.Response(200, content=_jpeg())]

    def handler(request: httpx.Request) -> httpx.Response:
        return answers.pop(0)

    report, _ = _run(tmp_path, handler, attempts=1)
    assert report.archived == 1 and answers == []
