import json

import pytest

from intrend_assets.instagram.errors import (
    ConfigurationError,
    LoginWall,
    ProfileNotFound,
    ProfileRefused,
    RateLimited,
    StrategyGone,
    UpstreamError,
)
from intrend_assets.instagram.http import Answer
from intrend_assets.instagram.strategies import PROFILE_STRATEGIES

WAIT = json.dumps(
    {
        "message": "Please wait a few minutes before you try again.",
        "require_login": True,
        "status": "fail",
    }
).encode()


def classify_profile(strategy: str, status: int, body: bytes, location: str | None = None) -> str:
    return PROFILE_STRATEGIES[strategy].classify(Answer(status, body, 1.0, location))


def classify_profile_answer(status: int, body: bytes) -> str:
    return classify_profile("web_profile_info", status, body)


def _user(**fields: object) -> bytes:
    return json.dumps({"data": {"user": {"id": "1", **fields}}, "status": "ok"}).encode()


def test_ok_and_private() -> None:
    assert classify_profile_answer(200, _user(is_private=False)) == "ok"
    assert classify_profile_answer(200, _user(is_private=True)) == "private"


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (401, WAIT, RateLimited),
        (429, b"", RateLimited),
        (200, WAIT, RateLimited),
        (400, b'{"message":"checkpoint_required","status":"fail"}', RateLimited),
        (401, b'{"message":"useragent mismatch","status":"fail"}', ConfigurationError),
        (400, b'{"message":"Please make sure you are logged in","status":"fail"}', LoginWall),
        (404, b"", ProfileNotFound),
        (200, b'{"data":{"user":null},"status":"ok"}', ProfileNotFound),
        (500, b"oops", UpstreamError),
        (
            400,
            b'{"message":"Asset 1 of type ig_business_category_subvertical has been deleted"}',
            ProfileRefused,
        ),
        (403, b"Forbidden", ProfileRefused),
        (400, b'{"message":"feedback_required","spam":true,"status":"fail"}', ProfileRefused),
        (502, b"", UpstreamError),
        (200, b'{"data":{"user":{"id":"1"', UpstreamError),
        (200, b"\xff\xfe", UpstreamError),
        (200, b"[]", StrategyGone),
        (200, b'{"status":"ok"}', StrategyGone),
        (200, b"<html><body>Log in</body></html>", StrategyGone),
        (404, b"<html>Page Not Found</html>", StrategyGone),
        (410, b"", StrategyGone),
        (200, b'{"data":null,"errors":[{"message":"PersistedQueryNotFound"}]}', StrategyGone),
    ],
)
def test_answers_are_classified_by_what_fixes_them(
    status: int, body: bytes, error: type[Exception]
) -> None:
    with pytest.raises(error):
        classify_profile_answer(status, body)


def test_the_profile_page_tells_a_missing_profile_from_a_closed_door() -> None:
    missing = b'<html><script type="application/json" data-sjs>{}</script>Sorry</html>'
    with pytest.raises(ProfileNotFound):
        classify_profile("embedded_page", 404, missing)
    with pytest.raises(StrategyGone):
        classify_profile("embedded_page", 404, b"<html>Page Not Found</html>")
    with pytest.raises(StrategyGone):  # the same page from a JSON endpoint: that endpoint moved
        classify_profile("web_profile_info", 404, missing)
    with pytest.raises(StrategyGone, match="no profile JSON"):
        classify_profile("embedded_page", 200, b"<html><body>new layout</body></html>")


@pytest.mark.parametrize(
    ("location", "error"),
    [
        ("/accounts/login/?next=/anna/", LoginWall),
        ("https://www.instagram.com/challenge/?next=/anna/", RateLimited),
        ("https://www.instagram.com/anna-moved/", StrategyGone),
    ],
)
def test_redirects_are_answers(location: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        classify_profile("embedded_page", 302, b"", location)
