"""`import "graphspec:zoo/..."` reads the zoo shipped with graphspec, from any folder, and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphspec.passes import modules
from graphspec.passes.modules import stdlib_path, stdlib_root
from tests.conftest import ROOT, run_cli

TRANSFER = """\
import "graphspec:zoo/mobilenet_v2.gspec"

model transfer {
    input image: (224, 224, 3)
    output label = image -> mobilenet_v2 -> Dense(5, activation="softmax")
}
"""


def test_zoo_imports_from_another_folder(tmp_path):
    (tmp_path / "transfer.gspec").write_text(TRANSFER, encoding="utf-8")
    proc = run_cli("summary", "transfer.gspec", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert '"mobilenet_v2"' in proc.stdout


@pytest.mark.parametrize("name", ["graphspec:../pyproject.gspec", "graphspec:zoo/../../README.gspec",
                                  "graphspec:/etc/passwd.gspec", "graphspec:", "graphspec:C:/x.gspec"])
def test_nothing_outside_the_standard_library(tmp_path, name):
    assert stdlib_path(name) is None
    (tmp_path / "m.gspec").write_text(f'import "{name}"\nmodel m {{\n    input x: (3,)\n    output y = x -> Dense(1)\n}}\n',
                                      encoding="utf-8")
    proc = run_cli("check", "m.gspec", cwd=tmp_path)
    assert proc.returncode == 1
    assert "E203" in proc.stdout + proc.stderr and "outside graphspec's standard library" in proc.stdout + proc.stderr


def test_the_standard_library_is_the_shipped_zoo():
    # paths are os.path strings on the check path (graphspec/passes/modules.py)
    assert stdlib_path("graphspec:zoo/resnet50.gspec") == str((Path(stdlib_root()) / "zoo" / "resnet50.gspec").resolve())
    installed = Path(modules.__file__).resolve().parents[1] / "stdlib"  # in a wheel; else the checkout's specs/
    assert Path(stdlib_root()).resolve() in ((ROOT / "specs").resolve(), installed)
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"specs/zoo" = "graphspec/stdlib/zoo"' in text  # the wheel carries the zoo where modules.py looks
