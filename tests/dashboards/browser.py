"""A headless Debian Chromium driven over the DevTools protocol (websockets, which Streamlit
already depends on), and `qm dashboard` served on a free port — for the browser tests."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from websockets.sync.client import connect

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--window-size=1440,1800",
]


def chromium() -> str | None:
    """Path of Debian's chromium, or None."""
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 90) -> None:
    """Until `url` answers 200 (raises TimeoutError naming the url)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


class Process:
    """A child process in its own process group; stop() ends that group only."""

    def __init__(self, args: list[str], env: dict, log: Path):
        self.log = log.open("wb")
        self.proc = subprocess.Popen(
            args, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.log.close()


def serve_dashboard(env: dict, log: Path) -> tuple[Process, str]:
    """`qm dashboard --port <free>`; returns the process and its base URL once healthy."""
    port = free_port()
    proc = Process([sys.executable, "-m", "qm", "dashboard", "--port", str(port)], env, log)
    base = f"http://localhost:{port}"
    try:
        wait_http(f"{base}/_stcore/health")
    except TimeoutError:
        proc.stop()
        raise RuntimeError(f"qm dashboard did not start: {log.read_text()[-2000:]}") from None
    return proc, base


class Browser:
    """Headless chromium with one page target, driven over DevTools."""

    def __init__(self, exe: str, profile: Path, log: Path):
        profile.mkdir(parents=True, exist_ok=True)
        port_file = profile / "DevToolsActivePort"
        port_file.unlink(missing_ok=True)  # a reused profile keeps the last run's port
        self.process = Process(
            [
                exe,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            os.environ.copy(),
            log,
        )
        try:
            self.ws = self._attach(port_file, log)
        except BaseException:
            self.process.stop()  # never leave a browser behind
            raise
        self._id = 0

    def _attach(self, port_file: Path, log: Path):
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.monotonic() > deadline or self.process.proc.poll() is not None:
                raise RuntimeError(f"chromium did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
            target = next(t for t in json.load(r) if t["type"] == "page")
        return connect(target["webSocketDebuggerUrl"], max_size=64 * 2**20, open_timeout=10)

    def call(self, method: str, **params):
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=60))
            if msg.get("id") == self._id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def js(self, expression: str):
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"js failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait(self, expression: str, timeout: float = 45, what: str = ""):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.25)
        raise TimeoutError(f"waited {timeout:.0f} s for {what or expression}")

    def goto(self, url: str) -> None:
        self.call("Page.navigate", url=url)

    def open_until(
        self,
        url: str,
        expression: str,
        what: str,
        tries: int = 3,
        timeout: float = 60,
        log: Path | None = None,
    ) -> None:
        """Navigate to `url` until `expression` holds: on a busy machine Streamlit's first
        websocket session can stall, so a page that shows nothing is loaded again (up to
        `tries` times). The last failure names what the page showed and the server's log."""
        for attempt in range(1, tries + 1):
            self.goto(url)
            try:
                self.wait(expression, timeout=timeout, what=what)
                return
            except TimeoutError:
                if attempt == tries:
                    shown = self.js("document.body ? document.body.innerText.slice(0, 800) : ''")
                    tail = log.read_text(errors="replace")[-2000:] if log else ""
                    raise TimeoutError(
                        f"{what} did not appear after {tries} loads of {timeout:.0f} s; "
                        f"the page showed {shown!r}; server log tail: {tail}"
                    ) from None

    def type_into(self, selector: str, text: str) -> None:
        """Focus an input and type like a person (React sees real input events)."""
        self.js(f"document.querySelector({json.dumps(selector)}).focus()")
        self.call("Input.insertText", text=text)

    def idle(self, settle: float = 1.0, timeout: float = 60) -> None:
        """Until Streamlit has stopped running the script (and charts had time to draw)."""
        # the status widget (running man, 'Stop') is only there while the script runs
        running = "!!document.querySelector('[data-testid=\"stStatusWidget\"]')"
        deadline = time.monotonic() + timeout
        quiet_since = None
        while time.monotonic() < deadline:
            if self.js(running):
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= settle:
                return
            time.sleep(0.2)
        raise TimeoutError("the app kept running")

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            self.process.stop()
