"""docs/cli.md's generated blocks are what the commands print today, every subcommand's --help
explains itself, and the docs name one pre-commit URL.

A generated block in a doc is a fenced block right after `<!-- generated: ARGS -->`, holding
`$ graphspec ARGS` and its output (`ARGS` may end in `| head -N`). GRAPHSPEC_UPDATE_GOLDENS=1
rewrites them from the real commands."""

import re

import pytest

from conftest import ROOT, UPDATE_GOLDENS, run_cli

from graphspec.cli import COMMANDS

DOC = ROOT / "docs/cli.md"
BLOCK = re.compile(r"(<!-- generated: (?P<args>[^>]+?) -->\n```\n)(?P<body>.*?)(```\n)", re.S)
WIDTH = {"COLUMNS": "80"}  # argparse wraps help to the terminal's width
PRECOMMIT_URL = "https://github.com/graphspec/graphspec"


def _output(args: str) -> str:
    words, _, head = args.partition("| head -")
    done = run_cli(*words.split()[1:], cwd=ROOT, env=WIDTH)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines(True)
    return "".join(lines[:int(head)] if head else lines)


def test_generated_blocks_match_the_commands():
    text = DOC.read_text(encoding="utf-8")
    blocks = list(BLOCK.finditer(text))
    assert {m.group("args").split("|")[0].strip() for m in blocks} >= {"graphspec --help",
                                                                        "graphspec layers --coverage"}

    def fresh(m):
        return m.group(1) + f"$ {m.group('args')}\n" + _output(m.group("args")) + m.group(4)

    updated = BLOCK.sub(fresh, text)
    if UPDATE_GOLDENS:
        DOC.write_text(updated, encoding="utf-8")
        return
    assert updated == text, "docs/cli.md's generated blocks are stale: rerun with GRAPHSPEC_UPDATE_GOLDENS=1"


def test_top_level_help_lists_every_command():
    out = run_cli("--help", cwd=ROOT, env=WIDTH).stdout
    for name in COMMANDS:
        assert re.search(rf"^    {re.escape(name)}\s", out, re.M), name


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_subcommand_help_has_a_description_arguments_and_an_example(name):
    done = run_cli(name, "--help", cwd=ROOT, env=WIDTH)
    assert done.returncode == 0
    out = done.stdout
    usage, _, rest = out.partition("\n\n")
    assert usage.startswith(f"usage: graphspec {name}")
    description = rest.split("\n\n")[0]
    assert len(description.split()) >= 6, description
    assert f"example:\n  graphspec {name}" in out
    # Every argument and option is explained: its help beside it, or on the next, deeper line.
    lines = out.split("\n\n", 2)[2].splitlines() + [""]
    for i, line in enumerate(lines):
        if not re.match(r"^  [-a-zA-Z]", line) or line.startswith("  graphspec "):
            continue
        beside = re.search(r"\S\s{2,}\S", line)
        below = re.match(r"^\s{6,}\S", lines[i + 1])
        assert beside or below, f"{name}: {line.strip()!r} has no help"


def _urls(path):
    return set(re.findall(r"repo: (https://\S+)", path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("path", [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))],
                         ids=lambda p: p.name)
def test_one_precommit_url(path):
    assert _urls(path) <= {PRECOMMIT_URL}


def test_no_claim_that_an_environment_variable_silences_tensorflow():
    text = DOC.read_text(encoding="utf-8")
    assert "TF_CPP_MIN_LOG_LEVEL=3` silences" not in text
    assert "--verbose" in text
