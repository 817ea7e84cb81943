"""Live peers for integration tests: the hub's own commands as processes on free loopback ports, and Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def hub_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a hub process on its own SQLite file (settings override, e.g. a database URL)."""
    return {
        **os.environ,
        "CXHUB_DATABASE_URL": f"sqlite:///{data_dir / 'live.sqlite3'}",
        "CXHUB_DATA_DIR": str(data_dir),
        "CXHUB_IN_PROCESS_WORKER": "false",
        "CXHUB_ENV": "test",
        "CXHUB_SECRET_KEY": "live-test-secret-key-that-is-long-enough-0123456789",
        "CXHUB_ARGON2_TIME_COST": "1",
        "CXHUB_ARGON2_MEMORY_KIB": "1024",
        **settings,
    }


def cxhub(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "cxhub", *args], env=env, check=True, capture_output=True, timeout=120)


def healthy(url: str) -> Callable[[], bool]:
    def check() -> bool:
        with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:  # noqa: S310 - our own loopback server
            return bool(response.status == 200)

    return check


def start(command: list[str], *, env: dict[str, str], log: Path, ready: Callable[[], bool]) -> subprocess.Popen[bytes]:
    """Run a command (appending to its log) and wait until `ready()` holds; its log is the error otherwise."""
    with log.open("ab") as output:  # the child keeps its own copy of the handle
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            if ready():
                return process
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            raise RuntimeError(f"{' '.join(command[2:])} did not start:\n{log.read_text()}")
        time.sleep(0.2)


def serve(port: int, *, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`cxhub serve` on a loopback port, once it answers /healthz."""
    command = [sys.executable, "-m", "cxhub", "serve", "--host", "127.0.0.1", "--port", str(port)]
    return start(command, env=env, log=log, ready=healthy(f"http://127.0.0.1:{port}"))


def stop(process: subprocess.Popen[bytes]) -> int:
    """Ask a process to end, then insist; its exit code."""
    process.terminate()
    try:
        return process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait(10)


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


class CommandLine:
    """`cxhub ...` as an operator runs it, on the SQLite file of its own data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.database = data_dir / "cxhub.sqlite3"
        self.env = {**os.environ, "CXHUB_DATA_DIR": str(data_dir)}
        self.env.pop("CXHUB_DATABASE_URL", None)

    def __call__(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "cxhub", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if ok:
            assert result.returncode == 0, result.stderr
        return result


def demo_command_line(data_dir: Path) -> CommandLine:
    """A migrated database with the demo world loaded, driven through the command line."""
    run = CommandLine(data_dir)
    run("migrate")
    run("demo")
    return run
