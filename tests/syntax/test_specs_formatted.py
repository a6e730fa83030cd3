"""The project's own example specs are in canonical format (what `graphspec fmt --check` enforces)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_every_example_spec_is_formatted():
    specs = sorted(str(p) for p in (ROOT / "specs").rglob("*.gspec"))
    done = subprocess.run([sys.executable, "-m", "graphspec", "fmt", "--check", *specs],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
