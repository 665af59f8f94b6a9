"""Docs generated from code stay current, and every public thing is documented."""

import re
from pathlib import Path

from engine import format_dictionary
from engine.schema import TABLES
from kezek.cli import parser

ROOT = Path(__file__).resolve().parent.parent


def test_format_dictionary_is_current():
    assert (ROOT / "docs" / "format.md").read_text(encoding="utf-8") == format_dictionary.markdown(), (
        "docs/format.md is stale: run `.venv/bin/python -m engine.format_dictionary > docs/format.md`")


def test_open_data_dictionary_is_current():
    from kezek import export_dictionary as open_data

    assert (ROOT / "docs" / "open-data.md").read_text(encoding="utf-8") == open_data.markdown(), (
        "docs/open-data.md is stale: run `.venv/bin/python -m kezek.export_dictionary > docs/open-data.md`")


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


CONTRACTS = ("open-data-format.md", "queue-rules.md", "interfaces.md")


def test_the_contracts_and_their_sources_are_in_the_repository():
    """A clone needs nothing outside itself: the format, the rules and the interfaces are in
    docs/, with the documents the rules cite (docs/seeds), and no tracked file sends a reader
    to the specification folder outside the repository."""
    import subprocess

    docs = ROOT / "docs"
    for name in CONTRACTS:
        assert (docs / name).is_file(), name
    rules = (docs / "queue-rules.md").read_text(encoding="utf-8")
    for seed in sorted(set(re.findall(r"`(\d{3})_…`", rules))):  # every seed the rules cite
        assert list((docs / "seeds").glob(f"{seed}_*.txt")), seed
    tracked = subprocess.run(["git", "-C", str(ROOT), "ls-files"], capture_output=True, text=True,
                             check=True).stdout.split()
    outside = [f for f in tracked if (ROOT / f).suffix in (".py", ".md", ".toml", ".sql") and f != "tests/test_docs.py"
               and re.search(r"shared/spec|\.\./seeds", (ROOT / f).read_text(encoding="utf-8"))]
    assert outside == []


def test_every_rule_id_the_scenarios_test_is_in_the_rules():
    from test_audit_scenarios import RULE_IDS

    rules = (ROOT / "docs" / "queue-rules.md").read_text(encoding="utf-8")
    assert [r for r in RULE_IDS if not re.search(rf"\b{r}\b", rules)] == []


# --- the rules catalogue (engine/rules.toml) ---------------------------------------------------

def test_the_rules_page_is_current():
    from engine import rules

    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == rules.markdown(), (
        "docs/rules.md is stale: run `.venv/bin/python -m engine.rules > docs/rules.md`")


def test_every_rule_id_the_code_cites_is_in_the_catalogue_and_every_rule_is_applied_and_tested():
    """A rule id in a comment, a query or a ruleset is one of the catalogue's; each rule of
    the catalogue is cited by the code that applies it and tested by a scenario."""
    import tomllib

    from engine import rules

    where = rules.citations(ROOT)
    assert sorted(set(where) - set(rules.RULES)) == []
    assert [r for r in rules.RULES if not where.get(r)] == []
    tested = {r for path in (ROOT / "tests" / "scenarios").glob("*.toml")
              for r in tomllib.loads(path.read_text(encoding="utf-8")).get("rules", [])}
    assert sorted(set(rules.RULES) - tested) == []
    page = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert all(f"### {r} " in page for r in rules.RULES)


def test_each_finding_of_the_audit_is_listed_under_the_rule_it_cites():
    """`SELECT 'type' AS type, 'A1' AS rule` in the audit's SQL: the catalogue lists the finding
    under that rule, and lists no finding the audit does not make."""
    import re

    from engine import rules
    from engine.audit import FINDING_TYPES

    pairs = set()
    for path in (ROOT / "engine" / "audit" / "sql").glob("*.sql"):
        pairs |= set(re.findall(r"'(\w+)' AS type, (?:CASE WHEN [^']*'([QEA]\d)' ELSE )?'([QEA]\d)'(?: END)? AS rule",
                                path.read_text(encoding="utf-8")))
    cited = {(t, r) for t, r1, r2 in pairs for r in (r1, r2) if r}
    assert len(cited) >= 10
    assert sorted((t, r) for t, r in cited if t not in rules.RULES[r].findings) == []
    listed = {f for rule in rules.RULES.values() for f in rule.findings}
    assert sorted(listed - set(FINDING_TYPES)) == []
