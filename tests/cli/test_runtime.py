"""Commands that run Keras: no TensorFlow banner unless --verbose, a progress line only on a
terminal, a clean line for an unusable KERAS_BACKEND, the parameter limit from options and config."""

import os
import pty
import subprocess
import sys

import pytest

from conftest import SPECS, run_cli

pytestmark = pytest.mark.slow

SIAMESE = (SPECS / "seeds/siamese_lstm.gspec").read_text()
BANNERS = ("absl::InitializeLog", "cpu_feature_guard", "oneDNN", "TensorFlow binary is optimized")


@pytest.fixture
def spec(tmp_path):
    (tmp_path / "m.gspec").write_text(SIAMESE)
    return tmp_path


def test_compile_prints_no_tensorflow_banner(spec):
    done = run_cli("compile", "m.gspec", "-o", "m.keras", cwd=spec, env={"TF_CPP_MIN_LOG_LEVEL": ""})
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.startswith("wrote m.keras")


def test_verbose_shows_the_logs(spec):
    # (in-process commands of other tests may have set the quiet variables in this worker's environment)
    done = run_cli("compile", "m.gspec", "-o", "m.keras", "--verbose", cwd=spec,
                   env={"TF_CPP_MIN_LOG_LEVEL": "0", "GLOG_minloglevel": "0"})
    assert done.returncode == 0
    assert any(b in done.stderr for b in BANNERS), done.stderr


def test_progress_line_on_a_terminal_only(spec):
    main, side = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "graphspec", "compile", "m.gspec", "-o", "m.keras"],
                              cwd=spec, stdout=subprocess.PIPE, stderr=side, timeout=120)
    finally:
        os.close(side)
    seen = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal's other side is closed: all read
            break
        if not chunk:
            break
        seen += chunk
    os.close(main)
    assert done.returncode == 0
    text = seen.decode()
    assert "importing TensorFlow..." in text and "saving m.keras..." in text
    assert text.endswith("\r\x1b[K")  # erased: the terminal is left clean
    assert not any(b in text for b in BANNERS)


@pytest.mark.parametrize("backend, expected", [
    ("torch", "graphspec: error: Keras cannot use its torch backend: the `torch` package is not installed: "
              "pip install torch, or unset KERAS_BACKEND to use TensorFlow"),
    ("tensorfloww", "graphspec: error: KERAS_BACKEND=tensorfloww is not a Keras backend: use one of "
                    "tensorflow, jax, torch, numpy, openvino (or unset it to use TensorFlow)"),
])
def test_unusable_backend_is_one_line(spec, backend, expected):
    pytest.importorskip("keras")
    try:
        import torch  # noqa: F401
        if backend == "torch":
            pytest.skip("torch is installed")
    except ImportError:
        pass
    for args in (("compile", "m.gspec", "-o", "m.keras"), ("import", "nothing.keras", "-o", "-")):
        if args[0] == "import":
            (spec / "nothing.keras").write_bytes(b"PK")
        done = run_cli(*args, cwd=spec, env={"KERAS_BACKEND": backend})
        assert done.returncode == 2, (args, done.stderr)
        assert done.stderr.strip() == expected
        assert not (spec / "m.keras").exists()


def test_max_params_option_and_config(spec):
    done = run_cli("check", "m.gspec", "--max-params", "1000", cwd=spec)
    assert done.returncode == 1 and "E005" in done.stdout
    assert run_cli("check", "m.gspec", "--max-params", "1_000_000", cwd=spec).returncode == 0
    (spec / "pyproject.toml").write_text("[tool.graphspec]\nmax-params = 1000\n")
    for command in (("check", "m.gspec"), ("summary", "m.gspec"), ("compile", "m.gspec", "-o", "m.py")):
        done = run_cli(*command, cwd=spec)
        assert done.returncode == 1 and "E005" in done.stdout + done.stderr, command
    assert run_cli("check", "m.gspec", "--max-params", "30000", cwd=spec).returncode == 0  # the option wins
    (spec / "pyproject.toml").write_text("[tool.graphspec]\nmax-params = -3\n")
    done = run_cli("check", "m.gspec", cwd=spec)
    assert done.returncode == 2 and "max-params must be a positive whole number" in done.stderr
