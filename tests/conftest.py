"""Shared fixtures: a running app for browser tests, and paths to team reference data."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.pg_server import free_port

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]


def reference_data(*parts: str) -> Path:
    """Path under ``../shared/reference-data``; skips the test when it is absent."""
    path = SHARED.joinpath("reference-data", *parts)
    if not path.exists():
        pytest.skip(f"team reference data not available: {path} (../shared is absent)")
    return path


class AppServer:
    """``streamlit run app.py`` in a subprocess on a free local port.

    Parameters
    ----------
    home
        ``PLANNER_HOME`` of the server: its database and saved regions.
    """

    def __init__(self, home: Path) -> None:
        self.home = Path(home)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = self.home.parent / f"streamlit-{self.port}.log"
        env = {**os.environ, "PLANNER_HOME": str(self.home)}
        env.pop("PLANNER_DB", None)
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
                    "--server.headless", "true", "--browser.gatherUsageStats", "false",
                    "--server.port", str(self.port), "--server.address", "127.0.0.1",
                ],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                urllib.request.urlopen(self.url + "/_stcore/health", timeout=2)
                return
            except OSError:
                time.sleep(0.5)
        self.stop()
        pytest.fail("the app did not start: " + self.log.read_text(errors="replace")[-4000:])

    def stop(self) -> int:
        """End the server process (as stopping the app does); returns its exit code."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=20)
        return self.proc.returncode


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """Start the Streamlit app on a free local port with an empty PLANNER_HOME."""
    server = AppServer(tmp_path_factory.mktemp("planner-app") / "home")
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Folder for the browser tests' screenshots: ``$PLANNER_TEST_OUTPUT/screenshots``,
    by default ``test-output/screenshots`` at the repository root (git-ignored)."""
    folder = Path(os.environ.get("PLANNER_TEST_OUTPUT") or ROOT / "test-output") / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.skip("Debian chromium is not installed (scripts/setup.sh --dev installs it)")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(autouse=True)
def _keep_main_module():
    """Put back ``sys.modules["__main__"]`` after each test.

    Streamlit's ``AppTest`` runs the app script as ``__main__`` and leaves it there; a
    Dask ``LocalCluster`` started later in the same session spawns its workers from
    ``__main__`` and can fail on the app script.
    """
    main = sys.modules.get("__main__")
    yield
    if main is not None:
        sys.modules["__main__"] = main


@pytest.fixture
def planner_home(tmp_path, monkeypatch) -> Path:
    """An empty ``PLANNER_HOME`` (database, saved regions, road files) for one test.

    Set in the environment, so app servers, job processes and local Dask workers
    started by the test inherit it; ``PLANNER_DB`` is cleared so the database is the
    home's.
    """
    home = tmp_path / "home"
    monkeypatch.setenv("PLANNER_HOME", str(home))
    monkeypatch.delenv("PLANNER_DB", raising=False)
    return home


@pytest.fixture
def store(planner_home):
    """The home's database."""
    from planner.store import Store

    return Store(planner_home / "planner.sqlite")


@pytest.fixture(scope="session")
def pg_server(request):
    """A PostgreSQL server started for the session (:mod:`tests.pg_server`), stopped and
    removed at the end; the tests that need it skip when PostgreSQL is not installed."""
    from tests.pg_server import PostgresServer, bindir

    folder = bindir()
    if folder is None:
        pytest.skip("PostgreSQL is not installed (scripts/setup.sh --dev installs it)")
    server = PostgresServer(folder)
    request.addfinalizer(server.stop)
    server.start()
    return server


@pytest.fixture(params=["sqlite", "postgresql"])
def db_target(request, tmp_path) -> str | Path:
    """An empty database for one test, on each backend: an SQLite file, or a new
    database on the session's PostgreSQL server."""
    if request.param == "sqlite":
        return tmp_path / "planner.sqlite"
    from planner.store import dialect

    url = request.getfixturevalue("pg_server").new_database()
    request.addfinalizer(lambda: dialect.forget(url))  # its pooled connections
    return url


def pytest_collection_modifyitems(config, items):
    """A browser test starts Chromium and often the app: it is slow by definition, so
    ``-m "not slow"`` (the fast loop) leaves every browser test out."""
    for item in items:
        if item.get_closest_marker("browser") and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)
