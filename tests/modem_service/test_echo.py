"""The public IP check: global addresses only, answers must agree, the client is bound."""

import asyncio

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from modem_service.echo import EchoChecker, EchoError, agreed_ip, parse_echo_answer
from tests.modem_service.conftest import serve


@pytest.mark.parametrize(
    "answer", ["100.64.0.1", "100.127.255.254", "10.133.54.34", "192.168.8.1", "127.0.0.1"]
)
def test_non_global_answers_rejected(answer: str) -> None:
    with pytest.raises(ValueError):
        parse_echo_answer(answer)


def test_global_answer_trimmed() -> None:
    assert parse_echo_answer(" 209.29.168.10\n") == "209.29.168.10"
    assert parse_echo_answer("2607:f8b0:4005:80c::200e") == "2607:f8b0:4005:80c::200e"
    with pytest.raises(ValueError):
        parse_echo_answer("<html>captive portal</html>")


def test_agreement() -> None:
    assert agreed_ip(["209.29.168.10", "209.29.168.10"], 2) == "209.29.168.10"
    with pytest.raises(EchoError, match="disagree"):
        agreed_ip(["209.29.168.10", "209.29.99.7"], 2)
    with pytest.raises(EchoError, match="needed"):
        agreed_ip(["209.29.168.10"], 2)


def _echo_app() -> Starlette:
    """Answers with a public IP chosen by the caller's source address, so binding shows."""

    async def ip(request: Request) -> PlainTextResponse:
        host = request.client.host if request.client else ""
        return PlainTextResponse("209.29.168.2\n" if host == "127.0.0.2" else "209.29.99.1\n")

    async def cgnat(request: Request) -> PlainTextResponse:
        return PlainTextResponse("100.64.12.34")

    return Starlette(routes=[Route("/ip", ip), Route("/cgnat", cgnat)])


def test_checker_binds_source_address_and_needs_agreement() -> None:
    async def scenario(base: str) -> None:
        checker = EchoChecker([f"{base}/ip", f"{base}/ip"], timeout=2)
        try:
            assert await checker.public_ip("127.0.0.2") == "209.29.168.2"
            assert await checker.public_ip("127.0.0.1") == "209.29.99.1"
        finally:
            await checker.aclose()
        lying = EchoChecker([f"{base}/ip", f"{base}/cgnat"], timeout=2, min_agree=2)
        try:
            with pytest.raises(EchoError):  # one valid answer of two needed
                await lying.public_ip("127.0.0.1")
        finally:
            await lying.aclose()
        dead = EchoChecker(["http://127.0.0.1:9/ip"], timeout=1)
        try:
            assert await dead.public_ip() is None
        finally:
            await dead.aclose()

    with serve(_echo_app()) as base:
        asyncio.run(scenario(base))


def test_checker_pinned_to_a_device() -> None:
    async def scenario(base: str) -> tuple[str | None, str | None]:
        on_lo = EchoChecker([f"{base}/ip"], interface="lo", timeout=2, min_agree=1)
        elsewhere = EchoChecker([f"{base}/ip"], interface="nonexistent0", timeout=2)
        try:
            return await on_lo.public_ip(), await elsewhere.public_ip()
        finally:
            await on_lo.aclose()
            await elsewhere.aclose()

    import os

    if os.geteuid() != 0:
        pytest.skip("SO_BINDTODEVICE needs CAP_NET_RAW")
    with serve(_echo_app()) as base:
        on_lo, elsewhere = asyncio.run(scenario(base))
    assert on_lo == "209.29.99.1"
    assert elsewhere is None  # no such device: no answer, never a route around it
