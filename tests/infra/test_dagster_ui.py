"""The Dagster UI, used as a person would: a real webserver and daemon, a real browser.

``dagster-webserver`` and ``dagster-daemon`` start from the repository root on the project's
workspace.yaml, with DAGSTER_HOME a temporary folder holding the project's (SQLite)
dagster.yaml and the INTREND_* variables pointing at a running sandbox. Headless Chromium
opens the asset lineage, checks every asset is drawn, launches one profile partition of
raw_profile from the asset page, and waits for the run page to say Success. The run goes
through the queued run coordinator of dagster.yaml, which the daemon drains.

Screenshots land in test-artifacts/ (gitignored). Without Chromium the test fails, it does
not skip: `make test` installs it with scripts/ensure-chromium.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import dagster as dg
import pytest

from intrend_assets.definitions import ASSETS
from intrend_assets.lib.instance import prepare_dagster_home
from intrend_assets.raw_store.store import LocalRawStore
from sandbox.world import SandboxConfig, start_sandbox
from tests.infra.servers import (
    BIN,
    REPO_ROOT,
    chromium,
    free_port,
    graphql,
    require_chromium,
    started,
    tail,
    wait_for_webserver,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(280)]

ARTIFACTS = REPO_ROOT / "test-artifacts"
RUN_TIMEOUT = 150  # seconds from "Launch 1 run" to Success: queue, run worker start, fetch

RUNS_FOR_PARTITION = """
query ($partition: String!) {
  runsOrError(filter: {tags: [{key: "dagster/partition", value: $partition}]}) {
    __typename
    ... on Runs { results { runId status } }
  }
}
"""


def _wait(driver, condition, timeout: float, what: str):
    """Poll ``condition`` until truthy; the UI re-renders, so stale elements just retry."""
    from selenium.common.exceptions import (
        ElementClickInterceptedException,
        ElementNotInteractableException,
        StaleElementReferenceException,
        TimeoutException,
    )
    from selenium.webdriver.support.ui import WebDriverWait

    retry = (
        StaleElementReferenceException,
        ElementClickInterceptedException,
        ElementNotInteractableException,
    )
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.5, ignored_exceptions=retry).until(
            condition
        )
    except TimeoutException:
        raise AssertionError(f"timed out after {timeout} s waiting for {what}") from None


def _click(driver, xpath: str, timeout: float, what: str, last: bool = False) -> None:
    """Click the first (or last) visible element matching ``xpath``, as soon as it can be."""
    from selenium.webdriver.common.by import By

    def attempt(d) -> bool:
        _dismiss_welcome(d)
        visible = [e for e in d.find_elements(By.XPATH, xpath) if e.is_displayed()]
        if not visible:
            return False
        (visible[-1] if last else visible[0]).click()
        return True

    _wait(driver, attempt, timeout, what)


def _label_shows(label: str, name: str) -> bool:
    """The graph shortens long names in the middle (``rate_l…_experiment``)."""
    if label == name:
        return True
    head, sep, tail = label.partition("…")
    return bool(sep) and name.startswith(head) and name.endswith(tail) and len(label) < len(name)


def _by_text(text: str) -> str:
    return f"//*[normalize-space(text())='{text}']"


def _dismiss_welcome(driver) -> None:
    """The first visit shows a newsletter dialog; a person clicks Skip."""
    from selenium.webdriver.common.by import By

    for button in driver.find_elements(By.XPATH, "//button[normalize-space()='Skip']"):
        if button.is_displayed():
            button.click()
            time.sleep(0.5)


def test_ui_shows_the_assets_and_runs_one_profile_partition(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_chromium()
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob("dagster-ui-*.png"):  # pictures of this run only
        old.unlink()
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    monkeypatch.delenv("DAGSTER_PG_HOST", raising=False)
    monkeypatch.setenv("DAGSTER_HOME", "")  # restored after prepare_dagster_home sets it
    home = prepare_dagster_home(tmp_path)  # the project's dagster.yaml with the storage plugin
    data_dir = tmp_path / "data"

    config = SandboxConfig(profiles=5, seed=3, budget=40, speed=600.0)
    with start_sandbox(config) as world:
        profile = world.public_usernames()[0]
        with dg.DagsterInstance.get() as instance:
            instance.add_dynamic_partitions("profiles", [profile])
        env = {
            **os.environ,
            "DAGSTER_HOME": str(home),
            **world.intrend_env(data_dir),
            # The test launches the run itself: the refresh sensor must not fetch the profile
            # first (it would, being never fetched) and change what the picker shows.
            "INTREND_SENSORS": "stopped",
        }
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        web_log, daemon_log = tmp_path / "webserver.log", tmp_path / "daemon.log"
        webserver_argv = [
            str(BIN / "dagster-webserver"),
            *("-h", "127.0.0.1", "-p", str(port), "-w", "workspace.yaml"),
        ]
        daemon_argv = [str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"]
        with (
            started(webserver_argv, env, web_log) as webserver,
            started(daemon_argv, env, daemon_log),
            chromium(2880, 2400) as driver,  # 12 assets, groups open, at 100%
        ):
            try:
                wait_for_webserver(base, webserver, web_log)
                timings["webserver ready"] = time.monotonic() - t0

                # 1. The asset lineage, every group expanded: all the project's assets drawn.
                driver.get(f"{base}/asset-groups")
                _wait(driver, lambda d: d.find_elements(By.XPATH, _by_text("raw")), 60, "graph")
                _dismiss_welcome(driver)
                names = [a.key.to_user_string() for a in ASSETS]

                def all_drawn(d) -> bool:
                    words = d.find_element(By.TAG_NAME, "body").text.split()
                    return all(any(_label_shows(w, name) for w in words) for name in names)

                def visible(d, xpath: str) -> list:
                    return [e for e in d.find_elements(By.XPATH, xpath) if e.is_displayed()]

                def expand_all_groups(d) -> bool:
                    # "Expand all groups" sits in the canvas's settings menu (the gear at the
                    # bottom right); open the menu, pick the item, until every asset is drawn.
                    _dismiss_welcome(d)
                    if all_drawn(d):
                        return True
                    if item := visible(d, _by_text("Expand all groups")):
                        item[0].click()
                    elif gear := visible(d, "//button[.//*[@aria-label='settings']]"):
                        gear[-1].click()
                        time.sleep(1)  # let the menu open before looking again
                    return False

                _wait(driver, expand_all_groups, 60, f"assets {names} in the expanded lineage")
                driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
                time.sleep(1)  # let the edges settle for the picture
                driver.save_screenshot(str(ARTIFACTS / "dagster-ui-asset-graph.png"))
                timings["graph checked"] = time.monotonic() - t0

                # 2. Launch one profile partition of raw_profile from its asset page.
                driver.get(f"{base}/assets/raw_profile")
                _dismiss_welcome(driver)
                _click(
                    driver,
                    "//button[starts-with(normalize-space(), 'Materialize')]",
                    60,
                    "the Materialize… button",
                )
                _click(
                    driver,
                    _by_text("Select a partition or create one"),
                    60,  # the dialog loads the partitions' status first: slow beside the suite
                    "the partition picker",
                )
                _click(driver, _by_text(profile), 30, f"partition {profile} in the picker")
                # Close the picker by clicking the dialog's title, then launch.
                _click(
                    driver,
                    _by_text("Launch runs to materialize raw_profile"),
                    10,
                    "the launch dialog's title",
                )
                _click(
                    driver,
                    "//button[normalize-space()='Launch 1 run']",
                    30,
                    "the 'Launch 1 run' button (one partition selected)",
                )
                timings["run launched"] = time.monotonic() - t0

                # 3. The run's page says Success.
                def launched_run(_d) -> list[dict]:
                    data = graphql(base, RUNS_FOR_PARTITION, {"partition": profile})
                    return data["runsOrError"].get("results") or []

                runs = _wait(driver, launched_run, 60, "the launched run in run storage")
                assert len(runs) == 1, runs
                run_id = runs[0]["runId"]
                driver.get(f"{base}/runs/{run_id}")
                _dismiss_welcome(driver)
                outcome = _wait(
                    driver,
                    lambda d: d.find_elements(
                        By.XPATH, _by_text("Success") + " | " + _by_text("Failure")
                    ),
                    RUN_TIMEOUT,
                    f"run {run_id} to finish (Success or Failure on its page)",
                )
                time.sleep(1)
                driver.save_screenshot(str(ARTIFACTS / "dagster-ui-run-success.png"))
                assert outcome[0].text.strip() == "Success", f"run page says {outcome[0].text}"
                # The API agrees with the page.
                assert launched_run(driver) == [{"runId": run_id, "status": "SUCCESS"}]
                timings["run succeeded"] = time.monotonic() - t0
            except BaseException:
                driver.save_screenshot(str(ARTIFACTS / "dagster-ui-failure.png"))
                print(f"--- webserver log ---\n{tail(web_log)}")
                print(f"--- daemon log ---\n{tail(daemon_log)}")
                raise

    # The run really fetched from the sandbox: the profile's answer is in the raw store.
    assert profile in set(LocalRawStore(data_dir / "raw").usernames())
    print("UI test timings (s since start):", {k: round(v, 1) for k, v in timings.items()})


def test_missing_chromium_fails_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    """CI must not pretend: no browser is a failure that says how to install it."""
    from tests.infra import servers

    monkeypatch.setattr(servers, "CHROMIUM", Path("/nonexistent/chromium"))
    with pytest.raises(AssertionError, match=r"scripts/ensure-chromium.*chromium-driver"):
        servers.require_chromium()
