"""The queue rules, each written once (engine/rules.toml): its id, title and text in
Kazakh, Russian and English, its sources and the findings of the audit that test it.

The dated parameters of a rule (engine/rulesets/parameters.toml names the rules each one
serves) and the SQL that applies it cite it by id; `python -m engine.rules > docs/rules.md`
writes the catalogue for readers, and the dashboard's About page shows it. A test fails when
the code cites a rule id this catalogue does not hold, or when a rule has no scenario.

    >>> RULES["Q3"].title["en"], [r for r in RULES if r.startswith("E")]
    ('Order', ['E1', 'E2', 'E3', 'E4'])
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from engine import ruleset

LANGUAGES = ruleset.LANGUAGES
FAMILIES = {"Q": "numbering the queue", "E": "eligibility for an offer", "A": "allocation of places"}
RULE_ID = re.compile(r"^[QEA][1-9]$")


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    title: dict[str, str]
    text: dict[str, str]
    sources: list[str] = Field(min_length=1)  # keys of engine/rulesets/sources.toml
    quotes: dict[str, str] = {}  # source key → the words of that source the rule rests on
    findings: list[str] = []

    def parameters(self) -> list[str]:
        """The dated parameters of the rulesets that serve this rule (parameters.toml)."""
        return [name for name, spec in ruleset.parameter_specs().items() if self.id in spec.rules]

    def cited(self, lang: str) -> list[tuple[str, str, str]]:
        """Each source: its key, its title in `lang`, and the words quoted from it as written
        there ("" if none)."""
        catalog = ruleset.source_catalog()
        return [(s, catalog[s].title[lang], self.quotes.get(s, "")) for s in self.sources]


@cache
def catalogue() -> dict[str, Rule]:
    doc = tomllib.loads(resources.files("engine").joinpath("rules.toml").read_text(encoding="utf-8"))
    rules = {rule_id: Rule(id=rule_id, **entry) for rule_id, entry in doc.items()}
    for rule in rules.values():
        if not RULE_ID.match(rule.id):
            raise ValueError(f"rules.toml: {rule.id!r} is not a rule id (Q, E or A and a digit)")
        for field in ("title", "text"):
            if set(getattr(rule, field)) != set(LANGUAGES):
                raise ValueError(f"rules.toml: {rule.id}.{field} must be given in {', '.join(LANGUAGES)}")
        # every source is catalogued, so that the methodology cites it in the reader's language
        unknown = [s for s in [*rule.sources, *rule.quotes] if s not in ruleset.source_catalog()]
        if unknown or not set(rule.quotes) <= set(rule.sources):
            raise ValueError(f"rules.toml: {rule.id} cites {unknown or sorted(set(rule.quotes) - set(rule.sources))}: "
                             "not a source of the rule in engine/rulesets/sources.toml")
    return rules


RULES = catalogue()


def text(rule_id: str, lang: str, **values: object) -> str:
    """The rule's text in `lang` (English if the language is not one of ours), its
    `{placeholders}` filled (Q3: `first`, `general`, the ratio in force)."""
    written = RULES[rule_id].text.get(lang) or RULES[rule_id].text["en"]
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m[1], m[0])), written)


# A rule cited in code or SQL: `Q3`, or a range `E1–E3` / `Q1-Q4` (every id in between).
_CITED = re.compile(r"\b([QEA])([1-9])(?:\s*[–-]\s*\1?([1-9]))?\b")
SOURCE_FOLDERS = ("engine", "ingest", "kezek", "dashboard", "demo")  # where rules are applied
SEED = re.compile(r"^\d{3}_[0-9a-f]{16}$")  # a document of docs/seeds/


def cited_ids(text: str) -> set[str]:
    """The rule ids a text cites.

    >>> sorted(cited_ids("-- Q3: E first; eligibility E1–E3 and Q1-Q2"))
    ['E1', 'E2', 'E3', 'Q1', 'Q2', 'Q3']
    """
    found = set()
    for family, first, last in _CITED.findall(text):
        found.update(f"{family}{n}" for n in range(int(first), int(last or first) + 1))
    return found


def citations(root: Path) -> dict[str, list[str]]:
    """Rule id → the files of the project (code, SQL, rulesets) that cite it by its id."""
    out: dict[str, list[str]] = {}
    for folder in SOURCE_FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in (".py", ".sql", ".toml") and path.is_file() and path.relative_to(root).as_posix() \
                    not in ("engine/rules.toml", "engine/rules.py"):  # the catalogue itself
                for rule_id in cited_ids(path.read_text(encoding="utf-8")):
                    out.setdefault(rule_id, []).append(path.relative_to(root).as_posix())
    return out


def link(source: str) -> str | None:
    """Where a reader of docs/ finds a source: a seed document's copy, a public page's address,
    a file of docs/ it names."""
    address = ruleset.source_catalog()[source].address
    return (f"seeds/{source}.txt" if SEED.match(source) else source if source.startswith("https://")
            else address.removeprefix("docs/") if address.startswith("docs/") else None)


def markdown() -> str:
    out = ["# The queue rules", "",
           "Generated from `engine/rules.toml` by `python -m engine.rules`; do not edit by hand.",
           "Each rule is cited by its id in the code and SQL that apply it; its dated parameters, with",
           "their units and sources, are in the rulesets of `engine/rulesets/` (the contract these come",
           "from: [queue-rules.md](queue-rules.md)). Under each rule: the files that apply it, citing it",
           "by its id.", ""]
    where = citations(Path(__file__).resolve().parents[1])
    for family, name in FAMILIES.items():
        out += [f"## {family} — {name}", ""]
        for rule in (r for r in RULES.values() if r.id.startswith(family)):
            out += [f"### {rule.id} {rule.title['en']} · {rule.title['ru']} · {rule.title['kk']}", "",
                    text(rule.id, "en", first="`ratio_first` first-priority", general="`ratio_general`"), ""]
            if rule.parameters():
                out.append("Parameters: " + ", ".join(f"`{p}`" for p in rule.parameters()) + ".")
            if rule.findings:
                out.append("Findings of the audit: " + ", ".join(f"`{f}`" for f in rule.findings) + ".")
            out.append("Sources: " + "; ".join((f"[{title}]({link(s)})" if link(s) else title)
                                               + (f": {quote}" if quote else "")
                                               for s, title, quote in rule.cited("en")) + ".")
            out += ["Applied in: " + ", ".join(f"`{p}`" for p in where.get(rule.id, [])) + ".", ""]
    return "\n".join(out)


if __name__ == "__main__":
    print(markdown(), end="")
