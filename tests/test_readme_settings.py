"""The README's settings table lists every INTREND_* setting, and nothing the code lacks."""

from __future__ import annotations

import re
from pathlib import Path

from intrend_assets.settings import ENV_PREFIX, IntrendSettings

README = Path(__file__).resolve().parent.parent / "README.md"
# Read by the `intrend` commands (lib/instance.py), not by the code location's settings.
COMMAND_VARIABLES = {"INTREND_DAGSTER_STORAGE"}


def _table_variables() -> set[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`(INTREND_[A-Z_]+)`", row.split("|")[1])}


def test_every_setting_is_documented_and_every_documented_one_exists() -> None:
    settings = {f"{ENV_PREFIX}{name.upper()}" for name in IntrendSettings.model_fields}
    documented = _table_variables()
    assert settings - documented == set(), "settings missing from README's table"
    assert documented - settings - COMMAND_VARIABLES == set(), "README documents unknown settings"
