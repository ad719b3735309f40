import pytest

from intrend_assets.tracking.usernames import InvalidUsername, is_valid_username, validate_username


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [("Robert.Downey_Jr", "robert.downey_jr"), ("@nasa", "nasa"), (" a1 ", "a1"), ("_", "_")],
)
def test_valid_names_are_canonicalised(raw: str, canonical: str) -> None:
    assert validate_username(raw) == canonical


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "../etc",
        "a b",
        "'; drop table posts; --",
        "x" * 31,
        "naïve",
        ".leading",
        "trailing.",
        "dou..ble",
        "slash/name",
        "\u212aelvin",  # the Kelvin sign, which str.lower turns into "k"
        "\u0130stanbul",  # capital dotted I, which lowers to "i" plus a combining dot
        None,
        42,
    ],
)
def test_names_instagram_never_issues_are_rejected(raw: object) -> None:
    with pytest.raises(InvalidUsername) as info:
        validate_username(raw)
    assert info.value.reason
    assert not is_valid_username(raw)
