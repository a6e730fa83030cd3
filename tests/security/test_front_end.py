"""Issue 14 findings 6 and 17: what the front end reads and how it reads it.

* 6: an import names a `.gspec` file, and a file an import reaches that is not spec text (binary,
  not UTF-8, no spec structure, a link to another kind of file) is refused at the import string
  with none of its content shown;
* 17: a lone CR ends a line as LF and CRLF do (a comment no longer swallows the model behind it),
  and bidirectional control characters in comments and strings are warned about (W201), located
  at the character.

Every run is a real CLI process with a timeout, so a regression fails instead of hanging.
"""

from __future__ import annotations

import time

import pytest

from conftest import run_cli

TIMEOUT = 60
MODEL = "model m {\n    input x: (3,)\n    output y = x -> Dense(1)\n}\n"
SECRET = "SECRET_TOKEN=hunter2-do-not-print"


def _text(tmp_path, name="main.gspec"):
    return run_cli("check", name, cwd=tmp_path, timeout=TIMEOUT, env={"NO_COLOR": "1"})


# --------------------------------------------------------------------------- finding 6


@pytest.mark.parametrize("target", ["/proc/self/environ", "../../../../../../../../etc/passwd", "secret.env",
                                    "notes.txt", "lib.gspec.bak", "lib"])
def test_14_6_an_import_names_a_gspec_file(tmp_path, target):
    (tmp_path / "secret.env").write_text(SECRET + "\n")
    (tmp_path / "notes.txt").write_text(SECRET + "\n")
    (tmp_path / "lib.gspec.bak").write_text(SECRET + "\n")
    (tmp_path / "main.gspec").write_text(f'import "{target}"\n' + MODEL)
    done = _text(tmp_path)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "error[E203]: an import names a .gspec file" in out
    assert "--> main.gspec:1:1" in out  # at the import string
    assert SECRET not in out and "root:x:0:0" not in out
    assert "SHELL=" not in out and "PATH=" not in out


@pytest.mark.parametrize("content,why", [
    (b"const a = 1\x00 " + SECRET.encode(), "NUL bytes"),
    (b"# Mod\xe8le " + SECRET.encode() + b"\nconst a = 1\n", "not UTF-8 text (byte 0xe8 at line 1, column 6)"),
    (SECRET.encode() + b"\nconst a = 1\n", "does not start like a spec"),
    (b"\n\n# a comment\n" + SECRET.encode() + b"\n", "does not start like a spec"),
    (b"root:x:0:0:root:/root:/bin/bash\n", "does not start like a spec"),
])
def test_14_6_an_imported_file_that_is_not_spec_text_is_never_shown(tmp_path, content, why):
    (tmp_path / "lib.gspec").write_bytes(content)
    (tmp_path / "main.gspec").write_text('import "lib.gspec"\n' + MODEL)
    done = _text(tmp_path)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    code = "E002" if "UTF-8" in why else "E203"
    assert f"error[{code}]: cannot import `lib.gspec`: " in out and why in out, out
    assert "--> main.gspec:1:1" in out
    assert SECRET not in out and "root:x" not in out and "lib.gspec:1:" not in out


def test_14_6_a_gspec_link_to_another_file_is_refused(tmp_path):
    (tmp_path / "secret.env").write_text(SECRET + "\n")
    (tmp_path / "lib.gspec").symlink_to(tmp_path / "secret.env")
    (tmp_path / "main.gspec").write_text('import "lib.gspec"\n' + MODEL)
    done = _text(tmp_path)
    out = done.stdout + done.stderr
    assert done.returncode == 1 and "error[E203]: `lib.gspec` is a link to a file that is not a .gspec file" in out
    assert SECRET not in out


def test_14_6_a_real_spec_with_a_syntax_error_is_still_shown(tmp_path):
    """The refusal is for files that are not specs: an imported spec's own mistake shows its line."""
    (tmp_path / "lib.gspec").write_text("# shared\nconst width = (64\nconst depth = 2\n")
    (tmp_path / "main.gspec").write_text('import "lib.gspec"\n' + MODEL)
    done = _text(tmp_path)
    out = done.stdout + done.stderr
    assert done.returncode == 1 and "--> lib.gspec:3:1" in out and "const depth = 2" in out, out


def test_14_6_imports_of_real_specs_still_work(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "common.gspec").write_text("\ufeff# shared\nconst width = 4\n")
    (tmp_path / "main.gspec").write_text('import "lib/common.gspec"\n' + MODEL.replace("Dense(1)", "Dense(width)"))
    done = _text(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


# --------------------------------------------------------------------------- finding 17


def test_14_17_a_lone_cr_ends_a_comment(tmp_path):
    text = "# a model\rmodel m {\r    input x: (3,)\r    output y = x -> Dense(0)\r}\r"
    (tmp_path / "main.gspec").write_bytes(text.encode())
    done = _text(tmp_path)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out  # was 0: the comment ran to the end of the file
    assert "error[E305]" in out and "--> main.gspec:4:27" in out and "output y = x -> Dense(0)" in out, out


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_14_17_every_line_ending_gives_the_same_places(tmp_path, ending):
    text = "# lib\nmodel m {\n    input x: (3,)  # the input\n    h = x -> Dense(2, name='a') # note\n" \
           "    output y = h -> Dense(0)\n}\n"
    (tmp_path / "main.gspec").write_bytes(text.replace("\n", ending).encode())
    done = _text(tmp_path)
    out = done.stdout + done.stderr
    assert "--> main.gspec:5:27" in out and "    output y = h -> Dense(0)\n" in out, out


def test_14_17_a_lone_cr_ends_a_string(tmp_path):
    (tmp_path / "main.gspec").write_bytes(b'model m {\r    input x: (3,)\r    output y = x -> Dense(1, name="a\r") }\r')
    done = _text(tmp_path)
    out = done.stdout + done.stderr
    assert done.returncode == 1 and "error[E102]: unterminated string" in out and "--> main.gspec:3:35" in out, out


def test_14_17_fmt_of_a_cr_file_keeps_its_model(tmp_path):
    (tmp_path / "main.gspec").write_bytes(b"# a model\rmodel m {\r    input x: (3,)\r    output y = x -> Dense(1)\r}\r")
    done = run_cli("fmt", "main.gspec", cwd=tmp_path, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "main.gspec").read_text()
    assert text.startswith("# a model\nmodel m {\n") and "Dense(1)" in text, text


@pytest.mark.parametrize("char", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
                                  "\u2066", "\u2067", "\u2068", "\u2069"])
@pytest.mark.parametrize("where", ["comment", "string"])
def test_14_17_bidi_controls_are_warned_about_where_they_are(tmp_path, char, where):
    if where == "comment":
        line, col = f"    # access {char}nimda only", 14
    else:
        line, col = f'    h = x -> Dense(1, name="ab{char}cd")', 31
    (tmp_path / "main.gspec").write_text("model m {\n    input x: (3,)\n" + line + "\n    output y = x -> Dense(1)\n}\n")
    done = _text(tmp_path)
    out = done.stdout + done.stderr
    assert f"warning[W201]: bidirectional control character U+{ord(char):04X}" in out, out
    assert f"--> main.gspec:3:{col}" in out, out
    assert char not in out  # printed escaped, never raw


def test_14_17_bidi_outside_strings_and_comments_is_an_error(tmp_path):
    (tmp_path / "main.gspec").write_text("model m {\n    input x: (3,)\n    output y = x -> Dense(1)\u202e\n}\n")
    done = _text(tmp_path)
    out = done.stdout + done.stderr
    assert done.returncode == 1 and "error[E101]" in out and "\u202e" not in out, out


def test_14_17_many_bidi_characters_stay_fast(tmp_path):
    (tmp_path / "main.gspec").write_text("# " + "\u202e" * 200_000 + "\n" + ("# x\u2066\n" * 50_000) + MODEL)
    start = time.monotonic()
    done = _text(tmp_path)
    assert time.monotonic() - start < 15
    assert done.returncode == 0 and done.stdout.count("W201") <= 50_001 + 1, done.stdout[-500:]

