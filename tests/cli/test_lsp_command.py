"""`graphspec lsp` (the command table's entry) starts the language server over stdio."""

import json
import subprocess
import sys

from conftest import ROOT


def _message(payload: dict) -> bytes:
    body = json.dumps(payload).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def _read(stream) -> dict:
    length = 0
    while True:
        line = stream.readline()
        assert line, "the server closed its output"
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return json.loads(stream.read(length))


def test_lsp_command_answers_initialize_and_exits():
    proc = subprocess.Popen([sys.executable, "-m", "graphspec", "lsp", "--debounce", "10"], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        proc.stdin.write(_message({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                                   "params": {"processId": None, "rootUri": None, "capabilities": {}}}))
        proc.stdin.flush()
        reply = _read(proc.stdout)
        while "id" not in reply:  # a notification (log message) before the answer
            reply = _read(proc.stdout)
        assert reply["id"] == 1 and reply["result"]["capabilities"]["hoverProvider"]
        proc.stdin.write(_message({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        proc.stdin.write(_message({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))
        proc.stdin.flush()
        reply = _read(proc.stdout)
        while reply.get("id") != 2:
            reply = _read(proc.stdout)
        proc.stdin.write(_message({"jsonrpc": "2.0", "method": "exit"}))
        proc.stdin.flush()
        assert proc.wait(timeout=30) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert b"Traceback" not in proc.stderr.read()


def test_lsp_help_and_bad_option():
    done = subprocess.run([sys.executable, "-m", "graphspec", "lsp", "--debounce", "x"], cwd=ROOT,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "positive whole number" in done.stderr
