from pathlib import Path

from intrend_assets.tracking.tracked_file import parse_tracked, read_tracked


def test_valid_names_kept_in_order_invalid_reported() -> None:
    text = "# tracked\nNASA\n@natgeo  # comment\n\na b\nnasa\n../etc\n" + "x" * 31 + "\n"
    tracked = parse_tracked(text)
    assert tracked.usernames == ["nasa", "natgeo"]
    assert [(line, text) for line, text, _ in tracked.invalid] == [
        (5, "a b"),
        (7, "../etc"),
        (8, "x" * 31),
    ]


def test_missing_file_is_none(tmp_path: Path) -> None:
    assert read_tracked(tmp_path / "nope.txt") is None


def test_yaml_form_with_refresh_intervals(tmp_path: Path) -> None:
    from datetime import timedelta

    path = tmp_path / "profiles.yaml"
    path.write_text(
        "default_refresh: 12h\n"
        "profiles:\n"
        "  - nasa\n"
        "  - username: NatGeo\n"
        "    refresh: 6h\n"
        "  - username: ../etc\n"
        "  - username: ok_name\n"
        "    refresh: soon\n"
    )
    tracked = read_tracked(path)
    assert tracked is not None
    assert tracked.usernames == ["nasa", "natgeo"]
    assert tracked.intervals == {"natgeo": timedelta(hours=6)}
    assert tracked.default_interval == timedelta(hours=12)
    assert [entry for entry, _, _ in tracked.invalid] == [3, 4]
