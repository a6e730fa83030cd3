"""Silencing warnings per line (`# gspec: ignore[W101]`) and per project ([tool.graphspec] ignore),
through `graphspec check`, and the same rule in the language server's analysis."""

from conftest import run_cli

UNUSED = """model m {{
    input a: (3,){same}
{above}    input b: (3,)
    output y = a -> Dense(1)
}}
"""


def _check(tmp_path, text, *extra):
    (tmp_path / "m.gspec").write_text(text)
    return run_cli("check", "m.gspec", "--format", "json", *extra, cwd=tmp_path)


def test_unsilenced_warning(tmp_path):
    done = _check(tmp_path, UNUSED.format(same="", above=""))
    assert done.returncode == 0 and '"W101"' in done.stdout


def test_comment_on_the_line_above(tmp_path):
    done = _check(tmp_path, UNUSED.format(same="", above="    # gspec: ignore[W101]\n"))
    assert done.returncode == 0 and done.stdout.strip() == "[]"


def test_comment_on_the_line(tmp_path):
    text = UNUSED.format(same="", above="").replace("input b: (3,)", "input b: (3,)  # gspec: ignore[W102, W101]")
    assert _check(tmp_path, text).stdout.strip() == "[]"


def test_another_code_or_a_trailing_comment_above_does_not_silence(tmp_path):
    assert '"W101"' in _check(tmp_path, UNUSED.format(same="", above="    # gspec: ignore[W102]\n")).stdout
    # A comment at the end of the line above belongs to that line, not to this one.
    assert '"W101"' in _check(tmp_path, UNUSED.format(same="  # gspec: ignore[W101]", above="")).stdout


def test_project_ignore(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.graphspec]\nignore = ["w101"]\n')
    assert _check(tmp_path, UNUSED.format(same="", above="")).stdout.strip() == "[]"


def test_errors_cannot_be_ignored(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.graphspec]\nignore = ["E301"]\n')
    done = _check(tmp_path, UNUSED.format(same="", above=""))
    assert done.returncode == 2 and "ignore must be a list of warning codes" in done.stderr
    (tmp_path / "pyproject.toml").unlink()
    text = UNUSED.format(same="", above="").replace("Dense(1)", "Dense(1)  # gspec: ignore[E220]")
    done = _check(tmp_path, text.replace("Dense", "Dens"))
    assert done.returncode == 1 and '"E220"' in done.stdout


def test_language_server_analysis_honours_the_comment(tmp_path):
    from graphspec.lsp.analysis import analyze

    path = tmp_path / "m.gspec"
    silenced = UNUSED.format(same="", above="    # gspec: ignore[W101]\n")
    plain = UNUSED.format(same="", above="")
    codes = lambda text: [d.code for d in analyze(text, path).diagnostics]  # noqa: E731
    assert codes(plain) == ["W101"] and codes(silenced) == []
