"""Docs generated from code stay current, and every public thing is documented."""

from pathlib import Path

from engine import dictionary
from engine.schema import TABLES
from kezek.cli import parser

ROOT = Path(__file__).resolve().parent.parent


def test_format_dictionary_is_current():
    assert (ROOT / "docs" / "format.md").read_text(encoding="utf-8") == dictionary.markdown(), (
        "docs/format.md is stale: run `.venv/bin/python -m engine.dictionary > docs/format.md`")


def test_open_data_dictionary_is_current():
    from kezek import dictionary as open_data

    assert (ROOT / "docs" / "open-data.md").read_text(encoding="utf-8") == open_data.markdown(), (
        "docs/open-data.md is stale: run `.venv/bin/python -m kezek.dictionary > docs/open-data.md`")


def test_every_column_has_a_description():
    undocumented = [f"{t.name}.{c.name}" for t in TABLES.values() for c in t.columns if len(c.description) < 8]
    assert undocumented == []


def test_every_cli_flag_has_help():
    root = parser()
    for command, sub in root._subparsers._group_actions[0].choices.items():
        for action in sub._actions:
            assert action.help, f"kezek {command} {action.option_strings or action.dest} has no help"


def test_readme_opens_with_the_two_commands():
    head = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:8]
    assert any("make run" in line for line in head) and any("make test" in line for line in head)


def test_the_unattended_setup_uses_only_commands_and_flags_that_exist():
    """Every `kezek …` command in the systemd units and the docs parses with the real CLI."""
    import shlex

    commands = []
    for path in [*(ROOT / "deploy" / "systemd").glob("*"), ROOT / "docs" / "unattended.md"]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if "bin/kezek " in line:
                words = shlex.split(line.split("bin/kezek ", 1)[1].split(">>")[0])
                commands.append(words)
    assert len(commands) >= 3
    for words in commands:
        parser().parse_args(words)  # an unknown flag or command exits with status 2
    assert "unattended.md" in (ROOT / "README.md").read_text(encoding="utf-8")
