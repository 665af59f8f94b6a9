"""Rulesets: the queue rules as dated parameters (queue-rules.md), like OpenFisca's.

Each file in `engine/rulesets/` is one ruleset: where and from when it holds, and for
every parameter of `parameters.toml` a list of values, each with the day it takes effect
(`from`), its `unit` and its `source` (an entry of `sources.toml`: a seed document, a
public page or a legal act). The engine asks `value(parameter, region, instant)`.

Which ruleset holds: the one `dataset.json` names (`ruleset`), for the whole dataset;
otherwise, per region and instant, the ruleset of that region or of the whole country
(`regions = ["KZ"]`: every region of that country in regions.toml) in force latest
(`in_force_from` ≤ instant), a regional one winning a tie; before any is in force, the
earliest that covers the region. No ruleset covers a region outside them (Vilnius): its
rules are not known, and nothing there is numbered or judged by rules.

    >>> import datetime as dt
    >>> value("choice_window", "Астана", dt.datetime(2017, 4, 10, 9)).value
    15
    >>> value("choice_window", "Астана", dt.datetime(2019, 10, 9, 9)).unit
    'calendar_day'
    >>> select("Павлодар облысы", dt.datetime(2021, 1, 1)).name
    'kz-2020'
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from functools import cache
from importlib import resources
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

FOLDER = "rulesets"
# The files of the folder that are catalogues, not rulesets: what the parameters mean, the
# sources they cite, the regions a ruleset may name.
CATALOGS = ("parameters.toml", "sources.toml", "regions.toml")
NONE = "none"  # value of a parameter whose rule does not exist in a ruleset
FAR_PAST = dt.datetime(1900, 1, 1)
FAR_FUTURE = dt.datetime(9999, 1, 1)
LANGUAGES = ("kk", "ru", "en")  # a source or a ruleset is cited in the reader's language


def _in_every_language(texts: dict[str, str]) -> dict[str, str]:
    if set(texts) != set(LANGUAGES):
        raise ValueError(f"give the text in {', '.join(LANGUAGES)} (e.g. title.kk, title.ru, title.en); "
                         f"given: {', '.join(sorted(texts)) or 'none'}")
    return texts


Texts = Annotated[dict[str, str], AfterValidator(_in_every_language)]  # language → text


class ParameterSpec(BaseModel):
    """An entry of parameters.toml: what a parameter means and how it may be stated."""

    model_config = ConfigDict(extra="forbid")
    title: Texts  # its name in each language, as the methodology page names it
    rules: list[str] = Field(min_length=1)
    description: str = Field(min_length=8)
    units: list[str] = Field(min_length=1)
    choices: list[str] = []
    minimum: int = 0  # the smallest whole number that makes sense (a Q3 list of none would never end a cycle)


class Source(BaseModel):
    """An entry of sources.toml: a document by its title and what it says, in each language
    (`language`: the languages the document itself is written in).

    >>> source_catalog()["order-254-2020"].title["ru"][:40]
    'Приказ Министра образования и науки Респ'
    """

    model_config = ConfigDict(extra="forbid")
    title: Texts
    says: Texts
    language: str
    address: str = ""  # where to read it, when the key is not its address (a file of docs/)


class DatedValue(BaseModel):
    """One value of a parameter, from the day it takes effect, with its unit and source."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    start: dt.date = Field(alias="from")
    value: int | str
    unit: str = Field(min_length=1)
    source: str = Field(min_length=1)
    # the words the value is taken from, in each language (note.kk, note.ru, note.en): a
    # quote as its source writes it, then what it says in the reader's language
    note: Texts = Field(default_factory=lambda: dict.fromkeys(LANGUAGES, ""))

    @field_validator("note", mode="before")
    @classmethod
    def _one_note_for_every_language(cls, note: object) -> object:
        # A publisher's own ruleset may give a note once (`note = "…"`), shown as given in every
        # language, as its title (Ruleset.title).
        return dict.fromkeys(LANGUAGES, note) if isinstance(note, str) else note


class Ruleset(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    title: Texts
    regions: list[str] = Field(min_length=1)
    in_force_from: dt.date
    parameters: dict[str, list[DatedValue]]

    @field_validator("title", mode="before")
    @classmethod
    def _one_title_for_every_language(cls, title: object) -> object:
        # A publisher's own ruleset may give one title (`title = "…"`), its own words in every
        # language; Kezek's rulesets give title.kk, title.ru and title.en.
        return dict.fromkeys(LANGUAGES, title) if isinstance(title, str) else title

    @field_validator("parameters")
    @classmethod
    def _one_value_per_period(cls, parameters: dict[str, list[DatedValue]]):
        for name, values in parameters.items():
            if not values:
                raise ValueError(f"{name}: no value")
            starts = [v.start for v in values]
            if starts != sorted(starts) or len(set(starts)) != len(starts):
                raise ValueError(f"{name}: values must be in order of `from`, one per day at most")
        return parameters

    @model_validator(mode="after")
    def _against_catalogs(self):
        specs, sources = parameter_specs(), source_catalog()
        missing = sorted(set(specs) - set(self.parameters))
        unknown = sorted(set(self.parameters) - set(specs))
        if missing or unknown:
            raise ValueError(f"ruleset {self.name}: missing parameters {missing}, unknown parameters {unknown}")
        for name, values in self.parameters.items():
            spec = specs[name]
            for v in values:
                where = f"ruleset {self.name}, {name} from {v.start}"
                if v.unit not in spec.units:
                    raise ValueError(f"{where}: unit {v.unit!r}, expected one of {spec.units}")
                if v.source not in sources:
                    raise ValueError(f"{where}: source {v.source!r} is not in sources.toml")
                if v.value == NONE:
                    continue
                if spec.choices:
                    if v.value not in spec.choices:
                        raise ValueError(f"{where}: {v.value!r}, expected one of {spec.choices}")
                elif v.unit == "month_day":
                    if not (isinstance(v.value, str) and re.fullmatch(r"(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])", v.value)):
                        raise ValueError(f"{where}: expected MM-DD or {NONE!r}")
                elif not (isinstance(v.value, int) and v.value >= spec.minimum):
                    raise ValueError(f"{where}: expected a whole number ≥ {spec.minimum}")
        return self

    def covers(self, region: str) -> bool:
        """Whether the ruleset holds in `region`, named as a dataset names it (regions.toml)."""
        return "*" in self.regions or region_key(region) in covered_names(tuple(self.regions))

    @property
    def national(self) -> bool:
        """A ruleset of a whole country (or of anywhere), which a regional one overrides."""
        return "*" in self.regions or any(r in region_catalog()["countries"] for r in self.regions)

    def value(self, parameter: str, instant: dt.datetime | dt.date) -> DatedValue:
        """The value in force at `instant`; before its first `from`, the first value (a
        ruleset named for a dataset holds for all of it)."""
        day = instant.date() if isinstance(instant, dt.datetime) else instant
        values = self.parameters[parameter]
        current = values[0]
        for v in values:
            if v.start <= day:
                current = v
        return current


def region_key(name: str) -> str:
    """A region's name as compared: case and spacing do not count, nor ё against е."""
    return " ".join(str(name).casefold().replace("ё", "е").split())


@cache
def region_catalog() -> dict[str, Any]:
    return _read_toml("regions.toml")


@cache
def covered_names(regions: tuple[str, ...]) -> frozenset[str]:
    """Every name of the regions a ruleset lists: a country (regions.toml's countries) stands
    for all its regions, a region for all its names, any other text for itself."""
    catalog = region_catalog()
    names: set[str] = set()
    for entry in regions:
        ids = catalog["countries"][entry]["regions"] if entry in catalog["countries"] else [
            rid for rid, spelled in catalog["regions"].items() if region_key(entry) in map(region_key, spelled)]
        names.update(region_key(n) for rid in ids for n in catalog["regions"][rid])
        names.add(region_key(entry))
    return frozenset(names)


def _read_toml(name: str) -> dict[str, Any]:
    return tomllib.loads(resources.files("engine").joinpath(FOLDER, name).read_text(encoding="utf-8"))


@cache
def parameter_specs() -> dict[str, ParameterSpec]:
    return {k: ParameterSpec(**v) for k, v in _read_toml("parameters.toml").items()}


@cache
def source_catalog() -> dict[str, Source]:
    return {k: Source(**v) for k, v in _read_toml("sources.toml").items()}


def parse_ruleset(doc: dict[str, Any]) -> Ruleset:
    return Ruleset(**doc)


def read_ruleset_file(text: str) -> Ruleset:
    """A publisher's own ruleset (a TOML file beside its dataset, named in dataset.json),
    checked like the built-in ones: every parameter, units, sources of sources.toml. Raises
    ValueError with what is wrong; a built-in ruleset's name cannot be taken."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"not valid TOML: {exc}") from None
    try:
        ruleset = parse_ruleset(doc)
    except (TypeError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        raise ValueError(" ".join(str(exc).split())) from None
    if ruleset.name in rulesets():
        raise ValueError(f"the name {ruleset.name!r} is a built-in ruleset's; give the file's ruleset its own name")
    return ruleset


@cache
def rulesets() -> dict[str, Ruleset]:
    """Every ruleset file, by name."""
    out = {}
    for entry in sorted(resources.files("engine").joinpath(FOLDER).iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".toml") and entry.name not in CATALOGS:
            ruleset = parse_ruleset(tomllib.loads(entry.read_text(encoding="utf-8")))
            if entry.name != f"{ruleset.name}.toml":
                raise ValueError(f"{entry.name} holds ruleset {ruleset.name!r}: name the file after it")
            out[ruleset.name] = ruleset
    return out


def get(name: str) -> Ruleset:
    try:
        return rulesets()[name]
    except KeyError:
        raise KeyError(f"unknown ruleset {name!r}; known: {', '.join(rulesets())}") from None


def select(region: str, instant: dt.datetime | dt.date) -> Ruleset | None:
    """The ruleset in force for `region` at `instant` (no ruleset named by the dataset);
    None where no ruleset covers the region: its rules are not known."""
    day = instant.date() if isinstance(instant, dt.datetime) else instant
    covering = [r for r in rulesets().values() if r.covers(region)]
    if not covering:
        return None
    started = [r for r in covering if r.in_force_from <= day]
    pool = started or covering
    pick = max if started else min

    def key(r: Ruleset):
        return (r.in_force_from, not r.national) if started else (r.in_force_from, r.national)

    return pick(pool, key=key)


def unknown_regions(regions: list[str], ruleset: str | Ruleset | None = None) -> list[str]:
    """The regions whose rules Kezek does not know: no ruleset named by the dataset, and none
    of the rulesets covers them."""
    return [] if ruleset else sorted({r for r in regions if not any(s.covers(r) for s in rulesets().values())})


def value(parameter: str, region: str, instant: dt.datetime | dt.date, ruleset: str | None = None) -> DatedValue:
    """Value of `parameter` for `region` at `instant`, under `ruleset` if one is named."""
    chosen = get(ruleset) if ruleset else select(region, instant)
    if chosen is None:
        raise KeyError(f"no ruleset covers the region {region!r}")
    return chosen.value(parameter, instant)


def periods(regions: list[str], ruleset: str | Ruleset | None = None) -> list[dict[str, Any]]:
    """Rows (region, valid_from, valid_until, ruleset, one column per parameter and its unit)
    in which every parameter is constant, covering all time for each region whose rules are
    known (none for the others): the table of rules in force that numbering and the audit apply. `ruleset`: the one the dataset names
    (a built-in one's name, or a publisher's own, read from its file), for all of it."""
    specs = parameter_specs()
    rows = []
    for region in sorted(set(regions)):
        if ruleset:
            plan = [(FAR_PAST.date(), ruleset if isinstance(ruleset, Ruleset) else get(ruleset))]
        else:
            covering = sorted((r for r in rulesets().values() if r.covers(region)),
                              key=lambda r: (r.in_force_from, not r.national))
            if not covering:  # rules not known there: no period, nothing applied
                continue
            plan, seen = [], set()
            for r in covering:  # a ruleset holds from its start until the next one starts
                if r.in_force_from in seen:
                    plan = [p for p in plan if p[0] != r.in_force_from]
                seen.add(r.in_force_from)
                plan.append((r.in_force_from, r))
            plan[0] = (FAR_PAST.date(), plan[0][1])  # before any, the earliest
        bounds = []
        for i, (start, r) in enumerate(plan):
            end = plan[i + 1][0] if i + 1 < len(plan) else FAR_FUTURE.date()
            cuts = sorted({start, *(v.start for vs in r.parameters.values() for v in vs if start < v.start < end)})
            for j, cut in enumerate(cuts):
                bounds.append((cut, cuts[j + 1] if j + 1 < len(cuts) else end, r))
        for start, end, r in bounds:
            row: dict[str, Any] = {
                "region": region,
                "valid_from": dt.datetime.combine(start, dt.time()),
                "valid_until": dt.datetime.combine(end, dt.time()),
                "ruleset": r.name,
            }
            for name in specs:
                v = r.value(name, start)
                row[name] = None if v.value == NONE else v.value
                row[f"{name}_unit"] = v.unit
                row[f"{name}_source"] = v.source
            previous = rows[-1] if rows else None
            if previous and previous["region"] == region and previous["valid_until"] == row["valid_from"] and all(
                previous[k] == row[k] for k in row if k not in ("valid_from", "valid_until")
            ):
                previous["valid_until"] = row["valid_until"]  # nothing changed: one period
            else:
                rows.append(row)
    return rows
