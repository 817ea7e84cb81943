"""Live peers for integration tests: the hub's own commands, servers on free loopback ports, and Chromium."""

from __future__ import annotations

import gc
import os
import socket
import subprocess
import sys
import time
import traceback
import urllib.request
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import click
from click.testing import CliRunner
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


PROCESS_WARNINGS = [  # what a `python -m cxhub` process does with a warning: the interpreter's default filters
    ("default", DeprecationWarning, "__main__"),
    ("ignore", DeprecationWarning, ""),
    ("ignore", PendingDeprecationWarning, ""),
    ("ignore", ImportWarning, ""),
    ("ignore", ResourceWarning, ""),
]


@cache
def _command() -> click.Command:
    import typer.main

    from cxhub.cli import app

    return typer.main.get_command(app)


def run_command(args: tuple[str, ...], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """`cxhub ARGS` inside this process, as `python -m cxhub ARGS` would run with exactly this environment.

    Settings are read afresh from `env`; the exit code, stdout and stderr are the process's: warnings
    are shown on stderr by the interpreter's default filters, and an uncaught exception is printed on
    stderr with its traceback.
    """
    from cxhub.config import get_settings

    changes: dict[str, str | None] = {k: v for k, v in env.items() if os.environ.get(k) != v}
    changes |= dict.fromkeys((k for k in os.environ if k not in env), None)
    get_settings.cache_clear()
    try:
        with warnings.catch_warnings():
            warnings.resetwarnings()
            for action, category, module in PROCESS_WARNINGS:
                warnings.filterwarnings(action, category=category, module=module, append=True)
            result = CliRunner().invoke(_command(), list(args), env=changes, prog_name="cxhub")
    finally:
        get_settings.cache_clear()
        gc.unfreeze()  # a command may freeze what it loaded for the rest of its process: this process goes on
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return subprocess.CompletedProcess(["cxhub", *args], result.exit_code, result.stdout, stderr)


def run_process(args: tuple[str, ...], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """`python -m cxhub ARGS` as a process of its own."""
    command = [sys.executable, "-m", "cxhub", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


def cxhub(*args: str, env: dict[str, str]) -> None:
    """`cxhub ARGS` with this environment (in this process), which must succeed."""
    result = run_command(args, env)
    assert result.returncode == 0, result.stderr


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
    """`cxhub ...` as an operator runs it, on the SQLite file of its own data directory.

    Commands run inside the test's process (see `run_command`); `process=True` starts each as a process.
    """

    def __init__(self, data_dir: Path, *, process: bool = False) -> None:
        self.database = data_dir / "cxhub.sqlite3"
        self.env = {**os.environ, "CXHUB_DATA_DIR": str(data_dir)}
        self.env.pop("CXHUB_DATABASE_URL", None)
        self.process = process

    def __call__(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        result = (run_process if self.process else run_command)(args, self.env)
        if ok:
            assert result.returncode == 0, result.stderr
        return result


def demo_command_line(data_dir: Path) -> CommandLine:
    """A migrated database with the demo world loaded, driven through the command line."""
    run = CommandLine(data_dir)
    run("migrate")
    run("demo")
    return run
