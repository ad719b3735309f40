"""`intrend`'s command line: options are checked before anything starts."""

import pytest

from intrend_assets.cli import build_parser


def test_demo_login_wall_option() -> None:
    args = build_parser().parse_args(
        ["demo", "--login-wall", "embedded_page=0.5", "--login-wall", "graphql_doc_id=1"]
    )
    assert args.login_wall == [("embedded_page", 0.5), ("graphql_doc_id", 1.0)]
    assert build_parser().parse_args(["demo"]).login_wall is None  # the default is applied later


@pytest.mark.parametrize("bad", ["nope=0.5", "web_profile_info=2", "web_profile_info=half"])
def test_demo_refuses_a_bad_login_wall(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(["demo", "--login-wall", bad])
    assert info.value.code == 2
    assert "--login-wall" in capsys.readouterr().err


def test_demo_reports_a_failed_warning_check_as_a_warning_not_a_failure() -> None:
    """The demo printed "FAILED" when only the warning-severity strategy check fired."""
    import dagster as dg

    from intrend_assets.cli import describe_checks

    def evaluation(name: str, passed: bool, severity: dg.AssetCheckSeverity):
        return dg.AssetCheckEvaluation(
            asset_key=dg.AssetKey("fetch_log"), check_name=name, passed=passed, severity=severity
        )

    ok = evaluation("unique", True, dg.AssetCheckSeverity.ERROR)
    doors = evaluation("strategy_doors_open", False, dg.AssetCheckSeverity.WARN)
    broken = evaluation("owner_known", False, dg.AssetCheckSeverity.ERROR)
    assert describe_checks([ok]) == "all 1 passed"
    assert describe_checks([ok, doors]) == "warning from strategy_doors_open"
    assert describe_checks([ok, doors, broken]) == (
        "FAILED owner_known; warning from strategy_doors_open"
    )
