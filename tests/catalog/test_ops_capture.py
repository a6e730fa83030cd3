"""The captured op and call signatures are current for the installed Keras."""

import json
import subprocess
import sys

import keras
import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_captured_files_are_current():
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "capture_keras_ops.py"), "--check"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_captured_files_record_the_keras_version():
    for name in ("keras_op_signatures.json", "keras_call_signatures.json"):
        data = json.loads((ROOT / "graphspec" / "catalog" / name).read_text(encoding="utf-8"))
        assert data["keras_version"] == keras.__version__ and data["keras_backend"] == "tensorflow"
