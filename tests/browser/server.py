"""Start the app with ``streamlit run`` on a free port and wait until it serves (used by the
browser journeys and the benchmarks)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The servers this process started on the system clock: their address -> their database
# (log_in opens a session there, dated by the same clock as the server's).
DATABASES: dict[str, str] = {}


class StreamlitServer:
    """``streamlit run SCRIPT`` (the app by default) on a free port; ``database_url`` None keeps
    the environment's; ``env`` adds variables (``PST_NOW``: the server's clock). Usable as a context manager (waits until it serves, stops it after)."""

    def __init__(self, database_url: str | None, log_path: Path, script: str = "ui/server.py",
                 env: dict[str, str] | None = None):
        self.database_url = database_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, **(env or {})}
        if database_url:
            env["PST_DATABASE_URL"] = database_url
            if not env.get("PST_NOW"):
                DATABASES[self.url] = database_url
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", script,
             "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--server.headless", "true", "--server.fileWatcherType", "none",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.process.returncode}; see {self.log.name}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError("streamlit did not become healthy")

    def rss_mb(self) -> float:
        """Resident memory of the server process (the benchmarks' memory figure)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()

    def __enter__(self):
        self.wait_ready()
        return self

    def __exit__(self, *exc):
        self.stop()


def chromium_path() -> str | None:
    return shutil.which("chromium")


def wait_for_app(page, timeout: float = 30_000, settle_ms: int = 300) -> None:
    """Wait until the script run is over and nothing is still loading; then ``settle_ms`` for
    what the browser draws after the run (0 where the next step waits for its own sign)."""
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout)
    page.wait_for_function(
        "() => document.querySelector(\"[data-test-script-state]\") && "
        "document.querySelector(\"[data-test-script-state]\").getAttribute('data-test-script-state') === 'notRunning'",
        timeout=timeout,
    )
    # Charts and tables load lazily after the script run (skeletons first): wait until no
    # skeleton is left and every plotly chart has drawn.
    page.wait_for_function(
        "() => !document.querySelector(\"[data-testid='stSkeleton']\") && "
        "[...document.querySelectorAll(\"[data-testid='stPlotlyChart']\")]"
        ".every(c => c.querySelector('.js-plotly-plot .main-svg'))",
        timeout=timeout,
    )
    if settle_ms:
        page.wait_for_timeout(settle_ms)
