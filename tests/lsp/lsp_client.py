"""A small JSON-RPC client that drives `graphspec lsp` over stdio, as an editor does.

Every wait has a timeout, so a server that hangs fails the test instead of the run.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest

TIMEOUT = 30.0  # seconds for any one answer; a 1,000-layer check takes well under one


class ServerError(Exception):
    """The server answered a request with a JSON-RPC error."""

    def __init__(self, error: dict):
        super().__init__(error.get("message", str(error)))
        self.error = error


class Client:
    """Starts the server as a subprocess and speaks LSP's framing (Content-Length headers) to it."""

    def __init__(self, argv: List[str], cwd: Path):
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.messages: "queue.Queue[dict]" = queue.Queue()
        self.notifications: List[dict] = []
        self.responses: Dict[int, dict] = {}
        self.next_id = 0
        self.stderr = b""
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        while True:
            headers = {}
            while True:
                line = out.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                key, _, value = line.decode("ascii").partition(":")
                headers[key.strip().lower()] = value.strip()
            body = out.read(int(headers["content-length"]))
            self.messages.put(json.loads(body))

    def _read_stderr(self) -> None:
        for chunk in iter(lambda: self.proc.stderr.read(4096), b""):
            self.stderr += chunk

    def send(self, message: dict) -> None:
        body = json.dumps(dict(message, jsonrpc="2.0")).encode("utf-8")
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def notify(self, method: str, params: Any = None) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: Any = None, timeout: float = TIMEOUT) -> Any:
        self.next_id += 1
        rid = self.next_id
        self.send({"id": rid, "method": method, "params": params})
        message = self._wait(lambda m: m.get("id") == rid and "method" not in m, timeout, method)
        if "error" in message:
            raise ServerError(message["error"])
        return message.get("result")

    def _wait(self, match: Callable[[dict], bool], timeout: float, what: str) -> dict:
        for i, m in enumerate(self.notifications):
            if match(m):
                return self.notifications.pop(i)
        while True:
            try:
                m = self.messages.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no answer to {what} within {timeout} s; server stderr:\n"
                                     f"{self.stderr.decode(errors='replace')[-3000:]}")
            if "method" in m and "id" in m:  # a request from the server (registration, config): answer it
                self.send({"id": m["id"], "result": None})
                continue
            if match(m):
                return m
            self.notifications.append(m)

    def diagnostics(self, uri: str, version: Optional[int] = None, timeout: float = TIMEOUT) -> List[dict]:
        """The next publishDiagnostics for `uri` (of `version`, if given)."""
        def match(m):
            p = m.get("params") or {}
            return (m.get("method") == "textDocument/publishDiagnostics" and p.get("uri") == uri
                    and (version is None or p.get("version") == version))
        return self._wait(match, timeout, f"publishDiagnostics for {uri}")["params"]["diagnostics"]

    # conveniences -----------------------------------------------------------------
    def initialize(self, root: Path) -> dict:
        result = self.request("initialize", {"processId": os.getpid(), "rootUri": root.as_uri(),
                                             "capabilities": {"textDocument": {"rename": {"prepareSupport": True},
                                                              "hover": {"contentFormat": ["markdown"]}}}})
        self.notify("initialized", {})
        return result

    def open(self, path: Path, text: str, version: int = 1) -> str:
        uri = path.resolve().as_uri()
        self.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "gspec",
                                                              "version": version, "text": text}})
        return uri

    def change(self, uri: str, text: str, version: int) -> None:
        self.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                               "contentChanges": [{"text": text}]})

    def at(self, method: str, uri: str, line: int, character: int, **extra) -> Any:
        """A position request; `line`/`character` 0-based, as LSP counts."""
        return self.request(method, dict({"textDocument": {"uri": uri},
                                          "position": {"line": line, "character": character}}, **extra))

    def close(self) -> int:
        """shutdown, exit; the server's exit status."""
        self.request("shutdown")
        self.notify("exit")
        try:
            return self.proc.wait(timeout=TIMEOUT)
        finally:
            for stream in (self.proc.stdin, self.proc.stdout):
                try:
                    stream.close()
                except OSError:
                    pass

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=TIMEOUT)


SERVER = [sys.executable, "-c", "from graphspec.lsp.server import main; main([])"]


@pytest.fixture
def lsp(tmp_path):
    """An initialized server whose working directory and root are `tmp_path`."""
    client = Client(SERVER, tmp_path)
    try:
        client.initialize(tmp_path)
        yield client
    finally:
        client.kill()


def position_of(text: str, needle: str, occurrence: int = 0, delta: int = 0) -> tuple:
    """The 0-based (line, character) of the `occurrence`-th `needle` in `text`, plus `delta` characters."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(needle, start + 1)
    start += delta
    line = text.count("\n", 0, start)
    return line, start - (text.rfind("\n", 0, start) + 1)
