"""The language server's re-check of a big file, as an editor sees it, against a baseline in the same run.

    python benchmarks/lsp.py            # 1,000 layers, 15 edits
    python benchmarks/lsp.py --quick

Starts `graphspec lsp` (no debounce) over stdio, sends didOpen, then N didChange
edits, and times each edit from the didChange to the publishDiagnostics of that
version. Goal: median < 100 ms for a 1,000-layer file. Baselines measured in the
same run, so the ratios hold on any machine: the same re-check of a 100-layer
file, and `graphspec check`'s parse + check in process of the same 1,000-layer text.
Nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import generate_spec  # noqa: E402

GOAL_S = 0.100
SERVER = [sys.executable, "-c", "from graphspec.lsp.server import main; main(['--debounce', '0'])"]


class _Server:
    """A minimal synchronous LSP client: writes a message, reads until the one it waits for."""

    def __init__(self, cwd: Path):
        self.proc = subprocess.Popen(SERVER, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=dict(os.environ, PYTHONUNBUFFERED="1"))
        self.next_id = 0

    def send(self, message: dict) -> None:
        body = json.dumps(dict(message, jsonrpc="2.0")).encode("utf-8")
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def read(self) -> dict:
        headers = {}
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("the language server exited")
            line = line.strip()
            if not line:
                break
            key, _, value = line.decode("ascii").partition(":")
            headers[key.strip().lower()] = value.strip()
        return json.loads(self.proc.stdout.read(int(headers["content-length"])))

    def wait(self, match) -> dict:
        while True:
            m = self.read()
            if "method" in m and "id" in m:  # a request from the server: answer it
                self.send({"id": m["id"], "result": None})
            elif match(m):
                return m

    def request(self, method: str, params=None) -> dict:
        self.next_id += 1
        rid = self.next_id
        self.send({"id": rid, "method": method, "params": params})
        return self.wait(lambda m: m.get("id") == rid and "method" not in m)

    def diagnostics(self, uri: str, version: int) -> list:
        m = self.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                      and m["params"].get("uri") == uri and m["params"].get("version") == version)
        return m["params"]["diagnostics"]

    def close(self) -> None:
        self.request("shutdown")
        self.send({"method": "exit"})
        self.proc.wait(timeout=30)


def bench_recheck(layers: int, edits: int = 15) -> Dict[str, float]:
    """Median and min seconds from didChange to publishDiagnostics for a `layers`-layer generated spec."""
    text = generate_spec(layers)
    with tempfile.TemporaryDirectory() as tmp:
        server = _Server(Path(tmp))
        try:
            server.request("initialize", {"processId": os.getpid(), "rootUri": Path(tmp).as_uri(),
                                          "capabilities": {}})
            server.send({"method": "initialized", "params": {}})
            uri = (Path(tmp) / "big.gspec").as_uri()
            server.send({"method": "textDocument/didOpen", "params": {"textDocument": {
                "uri": uri, "languageId": "gspec", "version": 1, "text": text}}})
            if server.diagnostics(uri, 1):
                raise RuntimeError("the generated spec has diagnostics")
            times: List[float] = []
            for version in range(2, edits + 2):
                edited = text.replace("const width = 32", f"const width = {32 + version % 7}")
                start = time.perf_counter()
                server.send({"method": "textDocument/didChange", "params": {
                    "textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": edited}]}})
                if server.diagnostics(uri, version):
                    raise RuntimeError("an edit produced diagnostics")
                times.append(time.perf_counter() - start)
            server.close()
        finally:
            if server.proc.poll() is None:
                server.proc.kill()
    return {"median_s": statistics.median(times), "min_s": min(times), "edits": edits}


def bench_check_text(layers: int, runs: int = 5) -> float:
    """Median in-process parse + check of the same generated text (graphspec check's work)."""
    import graphspec

    text = generate_spec(layers)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        graphspec.loads(text)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(layers: int = 1000, small: int = 100, edits: int = 15, runs: int = 5) -> dict:
    """The big re-check, the small re-check and the in-process check, all in this run."""
    return {"layers": layers, "small": small, "big": bench_recheck(layers, edits),
            "small_recheck": bench_recheck(small, edits), "check_s": bench_check_text(layers, runs)}


def report(r: dict) -> str:
    """The figures, with the goal and the ratios to the baselines."""
    big, small = r["big"]["median_s"], r["small_recheck"]["median_s"]
    ms = lambda s: f"{s * 1000:.1f} ms"  # noqa: E731
    return "\n".join([
        f"LSP re-check, {r['layers']} layers: median {ms(big)} (min {ms(r['big']['min_s'])}, "
        f"{r['big']['edits']} edits)  goal < {ms(GOAL_S)}: {'met' if big < GOAL_S else 'NOT met'}",
        f"  baseline: LSP re-check, {r['small']} layers: median {ms(small)}  ratio {big / small:.1f}x",
        f"  baseline: parse + check in process, {r['layers']} layers: {ms(r['check_s'])}  "
        f"ratio {big / r['check_s']:.2f}x (server overhead)",
    ])


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer edits")
    args = p.parse_args(argv)
    print(report(measure(edits=5 if args.quick else 15, runs=3 if args.quick else 5)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
