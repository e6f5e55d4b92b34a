"""A headless Chromium driven through its DevTools protocol over a pipe (no WebSocket, no
selenium or playwright): open a page, wait for its load event, evaluate an expression in it.

`--remote-debugging-pipe` makes Chromium read commands from its fd 3 and write answers and
events to its fd 4, each a JSON object ended by a NUL byte. Expressions evaluated this way run
whatever the page's Content-Security-Policy says (the export forbids every script), so the
page under test is the export exactly as written.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

BINARY = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--mute-audio",
]


class Browser:
    """One Chromium process with its own profile; `evaluate(page, expression)` per page."""

    def __init__(
        self, profile: Path, timeout: float = 60.0, size: tuple[int, int] = (1280, 800)
    ) -> None:
        assert BINARY is not None
        self.timeout = timeout
        commands_r, self._commands = os.pipe()  # we write, Chromium reads (its fd 3)
        self._answers, answers_w = os.pipe()  # Chromium writes (its fd 4), we read

        def wire() -> None:
            # In the child, before exec: the pipes become fds 3 and 4 (by way of fds above
            # both, so that neither overwrites the other). Only these two are inherited:
            # every fd Python opened is close-on-exec, so close_fds can stay off (it would
            # close 3 and 4 after this runs).
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (commands_r, answers_w)]
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self.proc = subprocess.Popen(
            [
                BINARY,
                *FLAGS,
                f"--window-size={size[0]},{size[1]}",
                "--remote-debugging-pipe",
                f"--user-data-dir={profile}",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire,
            close_fds=False,
        )
        os.close(commands_r)
        os.close(answers_w)
        self._buffer = b""
        self._next_id = 0

    def close(self) -> None:
        try:
            self._send("Browser.close")
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        finally:
            os.close(self._commands)
            os.close(self._answers)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the protocol ---------------------------------------------------------------------

    def _send(self, method: str, session: str | None = None, **params: Any) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        return self._next_id

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._answers], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._answers, 1 << 16)
            if not chunk:
                raise RuntimeError(f"Chromium exited ({self.proc.poll()})")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)  # type: ignore[no-any-return]

    def _wait(self, found: Any) -> dict[str, Any]:
        """Messages read until `found(message)` holds (events before it are dropped)."""
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._read(deadline)
            if found(message):
                if "error" in message:
                    raise RuntimeError(message["error"])
                return message

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        sent = self._send(method, session, **params)
        return self._wait(lambda m: m.get("id") == sent).get("result", {})

    def evaluate(self, url: str, expression: str) -> Any:
        """`expression`'s value (JSON), evaluated in `url` once its load event has fired."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        try:
            self.call("Page.enable", session)
            self.call("Page.navigate", session, url=url)
            self._wait(
                lambda m: m.get("method") == "Page.loadEventFired" and m.get("sessionId") == session
            )
            result = self.call(
                "Runtime.evaluate", session, expression=expression, returnByValue=True
            )
            if "exceptionDetails" in result:
                raise RuntimeError(result["exceptionDetails"])
            return result["result"].get("value")
        finally:
            self.call("Target.closeTarget", targetId=target)
