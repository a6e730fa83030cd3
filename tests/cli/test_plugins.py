"""Custom layers named in trusted configuration: [tool.graphspec] plugins and --plugin.

The configuration is the project's at the working directory (see tests/security/test_plugin_trust.py
for what never runs)."""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).parents[2]

PLUGIN = textwrap.dedent('''
    import keras
    import graphspec

    @keras.saving.register_keras_serializable(package="plugin_test")
    class Doubler(keras.layers.Layer):
        def call(self, x):
            return x * 2

    graphspec.register_layer(Doubler)
''')

SPEC = "model m {\n    input x: (4,)\n    output y = x -> Doubler() -> Dense(2)\n}\n"


def _run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "graphspec", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_configured_plugin_makes_a_custom_layer_known(tmp_path):
    (tmp_path / "layers_plugin.py").write_text(PLUGIN)
    (tmp_path / "m.gspec").write_text(SPEC)
    done = _run("check", "m.gspec", cwd=tmp_path)
    assert done.returncode == 1 and "E220" in done.stdout  # no configuration yet
    (tmp_path / "pyproject.toml").write_text('[tool.graphspec]\nplugins = ["layers_plugin.py"]\n')
    done = _run("check", "m.gspec", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    out = tmp_path / "m.keras"
    assert _run("compile", "m.gspec", "-o", str(out), cwd=tmp_path).returncode == 0
    assert out.exists()


def test_plugin_flag_and_a_missing_plugin(tmp_path):
    (tmp_path / "layers_plugin.py").write_text(PLUGIN)
    (tmp_path / "m.gspec").write_text(SPEC)
    assert _run("check", "m.gspec", "--plugin", "layers_plugin.py", cwd=tmp_path).returncode == 0
    done = _run("check", "m.gspec", "--plugin", "missing.py", cwd=tmp_path)
    assert done.returncode == 2 and "plugin file not found" in done.stderr and "Traceback" not in done.stderr


def test_a_hostile_plugin_name_is_printed_escaped(tmp_path):
    # a cloned repository's pyproject.toml names the plugin: its ESC and newline never reach the terminal raw
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text('[tool.graphspec]\nplugins = ["\\u001b[31mevil\\n.py"]\n')
    (tmp_path / "m.gspec").write_text(SPEC)
    done = _run("check", "m.gspec", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "plugin file not found" in done.stderr and "\\u001b[31mevil\\n.py" in done.stderr
    assert "\x1b" not in done.stderr and done.stderr.count("\n") == 1


def test_plain_checks_never_import_configured_plugins():
    # The repository configures specs/custom/simple_dense.py; a seed that needs no custom
    # layer is checked without importing it (nor Keras).
    code = ("import sys\nfrom graphspec.cli import main\n"
            "assert main(['check', 'specs/seeds/fashion_cnn.gspec']) == 0\n"
            "assert 'keras' not in sys.modules and 'simple_dense' not in sys.modules\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_repository_custom_spec_checks_from_the_command_line():
    done = _run("check", "specs/custom/simple_dense.gspec", cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_configuration_is_found_from_the_working_directory_upwards(tmp_path):
    # A module-name plugin, found from the configuration's folder; `check` run from a subfolder.
    (tmp_path / "layers_plugin.py").write_text(PLUGIN)
    (tmp_path / "pyproject.toml").write_text('[tool.graphspec]\nplugins = ["layers_plugin"]\n')
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "m.gspec").write_text(SPEC)
    done = _run("check", "m.gspec", cwd=tmp_path / "specs")
    assert done.returncode == 0, done.stdout + done.stderr
    # ... but not across a repository's root: the folder above a clone is not its project.
    (tmp_path / "specs" / ".git").mkdir()
    done = _run("check", "m.gspec", cwd=tmp_path / "specs")
    assert done.returncode == 1 and "E220" in done.stdout


def test_no_plugins_ignores_the_configuration_but_keeps_explicit_plugins(tmp_path):
    (tmp_path / "layers_plugin.py").write_text(PLUGIN)
    (tmp_path / "pyproject.toml").write_text('[tool.graphspec]\nplugins = ["layers_plugin.py"]\n')
    (tmp_path / "m.gspec").write_text(SPEC)
    done = _run("check", "m.gspec", "--no-plugins", cwd=tmp_path)
    assert done.returncode == 1 and "E220" in done.stdout
    done = _run("check", "m.gspec", "--no-plugins", "--plugin", "layers_plugin.py", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
