"""Mapping files that transform (format 1.1, docs/mapping.md): constants, expressions, a
filter, grouping, one file for several tables, repeated columns into rows, coordinates —
and expressions that try to reach anything else refused before they run.

The layouts imitate Vilnius's published files (github.com/vilnius/darzeliai): a `;`-separated
waiting list with Lithuanian headers and `Taip`/`Ne` flags, and one row per group of a
kindergarten with LKS-94 coordinates (`GIS_X` the northing, `GIS_Y` the easting)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import duckdb
import pytest
from pydantic import BaseModel

from conftest import application, kindergarten, run_kezek, vacancy, write_csv, write_dataset
from engine import store
from engine.schema import TABLES
from ingest import mapping as mapping_module
from ingest import transform
from ingest.load import Ingest
from ingest.sources import ingest_source

ROOT = Path(__file__).resolve().parent.parent
CITY_HALL = (54.6872, 25.2797)  # Vilnius city hall, WGS 84 latitude and longitude

WAITING_LIST = [  # Vilnius's headers; the third child is not listed any more
    {"Nr.": 1, "Vaiko Identifikacinis Nr.": "198364", "Vaiko gimimo data": "2019-06-14",
     "Prašymo pateikimo data": "2025-05-08 16:38:21", "Prioritetas (šeimoje 3 ir daugiau vaikų)": "Taip",
     "Prioritetas (augina tik vienas iš tėvų)": "Ne", "Rodomas": "Taip"},
    {"Nr.": 2, "Vaiko Identifikacinis Nr.": "198457", "Vaiko gimimo data": "2021-01-02",
     "Prašymo pateikimo data": "2026-03-03 12:17:00", "Prioritetas (šeimoje 3 ir daugiau vaikų)": "Ne",
     "Prioritetas (augina tik vienas iš tėvų)": "Ne", "Rodomas": "Taip"},
    {"Nr.": 3, "Vaiko Identifikacinis Nr.": "200001", "Vaiko gimimo data": "2022-11-30",
     "Prašymo pateikimo data": "2026-01-10 08:00:00", "Prioritetas (šeimoje 3 ir daugiau vaikų)": "Ne",
     "Prioritetas (augina tik vienas iš tėvų)": "Taip", "Rodomas": "Ne"},
]
EXPRESSIONS = {
    "birth_date": 'make_date(year(CAST("Vaiko gimimo data" AS DATE)), 1, 1)',
    "registered_at": 'CAST("Prašymo pateikimo data" AS TIMESTAMP)',
    "privilege": """CASE WHEN 'Taip' IN ("Prioritetas (šeimoje 3 ir daugiau vaikų)",
                                       "Prioritetas (augina tik vienas iš tėvų)") THEN 'first' ELSE 'none' END""",
}
TRIPLE = "'" * 3  # a TOML literal string: the SQL as it is


def applications_mapping(filter: str | None = "Rodomas = 'Taip'", **expressions: str) -> str:
    """The waiting list as applications; `expressions` replace or add to the usual ones (an
    expression for region replaces its constant)."""
    constants = {k: v for k, v in {"region": "Vilnius", "status": "queued"}.items() if k not in expressions}
    lines = ["[tables.applications]", 'files = ["laukianciuju_eileje_ataskaita"]']
    lines += [f"filter = {TRIPLE}{filter}{TRIPLE}"] if filter else []
    lines += ["[tables.applications.columns]", '"Vaiko Identifikacinis Nr." = "application_number"']
    lines += ["[tables.applications.constants]", *(f'{k} = "{v}"' for k, v in constants.items())]
    lines += ["[tables.applications.expressions]",
              *(f"{k} = {TRIPLE}{v}{TRIPLE}" for k, v in {**EXPRESSIONS, **expressions}.items())]
    return "\n".join(lines) + "\n"


APPLICATIONS_MAPPING = applications_mapping()


def lks94(lat: float, lon: float) -> tuple[float, float]:
    """(easting, northing) in LKS-94 of a WGS 84 point."""
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:4326", "EPSG:3346", always_xy=True).transform(lon, lat)


def groups_rows() -> list[dict]:
    """Two kindergartens, three groups (one full); kindergarten 143 at the city hall."""
    east, north = lks94(*CITY_HALL)
    common = {"ADDRESS": "Gerosios Vilties g. 28", "ELDERATE": "Vilkpėdės"}
    return [
        {"DARZ_ID": "143", "LABEL": "Aušrelė", "GID": "109", "LAN_LABEL": "Lietuvių", "CAPACITY": "20",
         "CHILD_COUNT": "18", "FREE_SPACE": "2", "BIRTH": "2022", "GIS_X": repr(north), "GIS_Y": repr(east), **common},
        {"DARZ_ID": "143", "LABEL": "Aušrelė", "GID": "110", "LAN_LABEL": "Rusų", "CAPACITY": "15",
         "CHILD_COUNT": "15", "FREE_SPACE": "0", "BIRTH": "2021", "GIS_X": repr(north), "GIS_Y": repr(east), **common},
        {"DARZ_ID": "148", "LABEL": "Coliukė", "GID": "280", "LAN_LABEL": "Lietuvių", "CAPACITY": "21",
         "CHILD_COUNT": "17", "FREE_SPACE": "4", "BIRTH": "2020", "GIS_X": "", "GIS_Y": "",
         "ADDRESS": "A. Kojelavičiaus g. 298", "ELDERATE": "Naujosios Vilnios"},
    ]


GROUPS_MAPPING = '''
[tables.kindergartens]
files = ["darzeliai_grupes"]
group_by = ["DARZ_ID"]
[tables.kindergartens.columns]
DARZ_ID = "kindergarten_id"
[tables.kindergartens.constants]
region = "Vilnius"
ownership = "state"
[tables.kindergartens.expressions]
name_ru = "any_value(LABEL)"
district = "any_value(ELDERATE)"
address = "any_value(ADDRESS)"
languages = """string_agg(DISTINCT CASE LAN_LABEL WHEN 'Lietuvių' THEN 'lt' WHEN 'Rusų' THEN 'ru' END, '|'
                          ORDER BY CASE LAN_LABEL WHEN 'Lietuvių' THEN 'lt' WHEN 'Rusų' THEN 'ru' END)"""
capacity = "sum(TRY_CAST(CAPACITY AS BIGINT))"
[tables.kindergartens.coordinates]
from = "EPSG:3346"
x = "GIS_Y"
y = "GIS_X"

[tables.groups]
files = ["darzeliai_grupes"]
filter = "TRY_CAST(FREE_SPACE AS INTEGER) > 0"
[tables.groups.columns]
DARZ_ID = "kindergarten_id"
GID = "group_id"
BIRTH = "birth_year"
CAPACITY = "capacity"
CHILD_COUNT = "enrolled"
[tables.groups.expressions]
language = "CASE LAN_LABEL WHEN 'Lietuvių' THEN 'lt' WHEN 'Rusų' THEN 'ru' END"
'''


def vilnius_like(folder: Path, mapping: str, *, waiting=True, groups=True, extra: dict | None = None) -> Path:
    """A dataset folder: the given Vilnius-like files, the other required tables as the format has them."""
    tables = {"vacancies": [vacancy(kid="143" if groups else "K1", birth_year=2021, language="lt")]}
    if not groups:
        tables["kindergartens"] = [kindergarten("K1", region="Vilnius")]
    if not waiting:
        tables["applications"] = [application("A1", "2026-01-01 10:00", region="Vilnius")]
    write_dataset(folder, {**tables, **(extra or {})})
    if groups:
        write_csv(folder / "darzeliai_grupes.csv", groups_rows())
    if waiting:
        write_csv(folder / "laukianciuju_eileje_ataskaita.csv", WAITING_LIST, delimiter=";")
    (folder / "mapping.toml").write_text(textwrap.dedent(mapping), encoding="utf-8")
    return folder


def published(home: Path, table: str, order: str) -> list[dict]:
    con = store.open_snapshot(store.current(home).path)
    cur = con.execute(f"SELECT * FROM {table} ORDER BY {order}")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def update(home: Path, folder: Path):
    return run_kezek("update", "--source", str(folder), home=home)


def update_ok(home: Path, folder: Path):
    done = update(home, folder)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def vilnius_home(tmp_path_factory) -> Path:
    """One publication of both Vilnius-like files through one mapping."""
    tmp = tmp_path_factory.mktemp("vilnius")
    update_ok(tmp / "home", vilnius_like(tmp / "ds", APPLICATIONS_MAPPING + GROUPS_MAPPING))
    return tmp / "home"


# -- each transformation ---------------------------------------------------------------------

def test_constants_expressions_and_filter_make_the_applications(vilnius_home):
    rows = published(vilnius_home, "applications", "application_number")
    assert [r["application_number"] for r in rows] == ["198364", "198457"]  # the unlisted child filtered out
    assert {r["region"] for r in rows} == {"Vilnius"} and {r["status"] for r in rows} == {"queued"}
    assert [r["birth_year"] for r in rows] == [2019, 2021]
    assert [r["privilege"] for r in rows] == ["first", "none"]
    assert [str(r["registered_at"]) for r in rows] == ["2025-05-08 16:38:21", "2026-03-03 12:17:00"]


def test_group_by_with_aggregates_makes_one_kindergarten_per_institution(vilnius_home):
    rows = published(vilnius_home, "kindergartens", "kindergarten_id")
    assert [(r["kindergarten_id"], r["name_ru"], r["languages"], r["capacity"], r["district"]) for r in rows] == [
        ("143", "Aušrelė", "lt|ru", 35, "Vilkpėdės"), ("148", "Coliukė", "lt", 21, "Naujosios Vilnios")]
    assert {r["region"] for r in rows} == {"Vilnius"} and {r["ownership"] for r in rows} == {"state"}


def test_one_file_feeds_two_tables(vilnius_home):
    groups = published(vilnius_home, "groups", "group_id")
    # the groups table has the groups with free places (the filter), the kindergartens every institution
    assert [(g["kindergarten_id"], g["group_id"], g["language"], g["capacity"], g["enrolled"], g["birth_year"])
            for g in groups] == [("143", "109", "lt", 20, 18, 2022), ("148", "280", "lt", 21, 17, 2020)]
    assert len(published(vilnius_home, "kindergartens", "kindergarten_id")) == 2
    con = store.open_snapshot(store.current(vilnius_home).path)
    assert sorted(con.execute("SELECT table_name FROM sources WHERE file = 'darzeliai_grupes.csv'").fetchall()) == [
        ("groups",), ("kindergartens",)]


def test_lks94_coordinates_become_wgs84(vilnius_home):
    rows = {r["kindergarten_id"]: r for r in published(vilnius_home, "kindergartens", "kindergarten_id")}
    assert rows["143"]["latitude"] == pytest.approx(CITY_HALL[0], abs=1e-5)
    assert rows["143"]["longitude"] == pytest.approx(CITY_HALL[1], abs=1e-5)
    assert rows["148"]["latitude"] is None and rows["148"]["longitude"] is None  # no coordinates given


def test_the_archive_keeps_the_birth_year_only(vilnius_home):
    archived = next((vilnius_home / "archive").glob("*/laukianciuju_eileje_ataskaita.parquet"))
    con = duckdb.connect()
    columns = [d[0] for d in con.execute("SELECT * FROM read_parquet($p)", {"p": str(archived)}).description]
    assert "Vaiko gimimo data" not in columns and "birth_date (year)" in columns
    assert sorted(con.execute('SELECT "birth_date (year)" FROM read_parquet($p)', {"p": str(archived)}).fetchall()) == [
        ("2019",), ("2021",)]
    assert json.loads((archived.parent / "manifest.json").read_text(encoding="utf-8"))["made_by_mapping"] is True


def test_distinct_takes_each_row_once(tmp_path, home):
    folder = vilnius_like(tmp_path / "ds", '''
        [tables.kindergartens]
        files = ["register"]
        distinct = true
        [tables.kindergartens.columns]
        ID = "kindergarten_id"
        Pavadinimas = "name_ru"
        [tables.kindergartens.constants]
        region = "Vilnius"
        ownership = "state"
        languages = "lt"
    ''', groups=False, waiting=False)
    (folder / "kindergartens.csv").unlink()
    write_csv(folder / "register.csv", [{"ID": "K1", "Pavadinimas": "Pirmas", "Group": "a"},
                                       {"ID": "K1", "Pavadinimas": "Pirmas", "Group": "b"},
                                       {"ID": "K2", "Pavadinimas": "Antras", "Group": "a"}])
    update_ok(home, folder)
    assert [(r["kindergarten_id"], r["name_ru"]) for r in published(home, "kindergartens", "kindergarten_id")] == [
        ("K1", "Pirmas"), ("K2", "Antras")]


def test_repeated_column_groups_become_rows(tmp_path, home):
    """A wide file of monthly places (one column per month) → one positions row per month;
    a month left empty gives no row."""
    folder = vilnius_like(tmp_path / "ds", '''
        [tables.positions]
        files = ["vietos"]
        [tables.positions.repeat]
        index = "as_of"
        values = ["2026-01-01", "2026-02-01", "2026-03-01"]
        [tables.positions.columns]
        "Vaikas" = "application_number"
        "Vieta {as_of}" = "queue_number"
        [tables.positions.expressions]
        privileged_queue_number = "TRY_CAST(\\"Pirmenybė {as_of}\\" AS INTEGER)"
    ''', groups=False, waiting=False)
    write_csv(folder / "applications.csv", [application("A1", "2025-01-01 10:00", region="Vilnius"),
                                            application("A2", "2025-02-01 10:00", region="Vilnius")])
    write_csv(folder / "vietos.csv", [
        {"Vaikas": "A1", "Vieta 2026-01-01": 5, "Pirmenybė 2026-01-01": 0, "Vieta 2026-02-01": 3,
         "Pirmenybė 2026-02-01": 0, "Vieta 2026-03-01": 1, "Pirmenybė 2026-03-01": 0},
        {"Vaikas": "A2", "Vieta 2026-01-01": "", "Pirmenybė 2026-01-01": "", "Vieta 2026-02-01": 4,
         "Pirmenybė 2026-02-01": 2, "Vieta 2026-03-01": "", "Pirmenybė 2026-03-01": ""}])
    update_ok(home, folder)
    rows = published(home, "positions", "application_number, as_of")
    assert [(r["application_number"], str(r["as_of"]), r["queue_number"], r["privileged_queue_number"]) for r in rows] == [
        ("A1", "2026-01-01", 5, 0), ("A1", "2026-02-01", 3, 0), ("A1", "2026-03-01", 1, 0), ("A2", "2026-02-01", 4, 2)]


@pytest.mark.skipif("choices" not in TABLES, reason="the choices table (format 1.1) is not in the schema yet")
def test_five_choices_become_rows_of_choices(tmp_path):
    folder = vilnius_like(tmp_path / "ds", APPLICATIONS_MAPPING + GROUPS_MAPPING + '''
        [tables.choices]
        files = ["laukianciuju_eileje_ataskaita"]
        [tables.choices.repeat]
        index = "rank"
        values = [1, 2, 3, 4, 5]
        [tables.choices.columns]
        "Vaiko Identifikacinis Nr." = "application_number"
        "{rank} pasirinktas darželis" = "kindergarten_id"
    ''')
    rows = [dict(r, **{f"{n} pasirinktas darželis": "" for n in range(1, 6)}) for r in WAITING_LIST]
    rows[0].update({"1 pasirinktas darželis": "143", "2 pasirinktas darželis": "148"})
    rows[1].update({"1 pasirinktas darželis": "148"})
    write_csv(folder / "laukianciuju_eileje_ataskaita.csv", rows, delimiter=";")
    ingest = Ingest(duckdb.connect(), tmp_path)  # the canonical table as read, whatever the snapshot keeps of it
    ingest_source(ingest, str(folder), None, tmp_path)
    ingest.finish()
    assert ingest.con.execute("SELECT application_number, rank, kindergarten_id FROM c_choices ORDER BY ALL").fetchall() == [
        ("198364", 1, "143"), ("198364", 2, "148"), ("198457", 1, "148")]


def test_the_vilnius_expressions_pass_the_check():
    for text in ['make_date(year(CAST("Vaiko gimimo data" AS DATE)), 1, 1)', "TRY_CAST(FREE_SPACE AS INTEGER) > 0",
                 "coalesce(nullif(trim(LABEL), ''), 'Vilnius ' || DARZ_ID)", "regexp_replace(lower(x), '\\s+', ' ', 'g')",
                 "CASE WHEN a LIKE 'T%' AND b IS NOT NULL THEN strftime(CAST(c AS DATE), '%Y') ELSE NULL END"]:
        assert transform.check(text).problems == [], text
    assert transform.check("string_agg(DISTINCT LAN_LABEL, '|' ORDER BY LAN_LABEL)", aggregates=True).problems == []
    assert transform.check("sum(CAPACITY)").problems == ["aggregate function sum needs group_by"]


# -- what dataset.json would say, and the snapshot's time -------------------------------------

DATASET = """
[dataset]
title = "Vilnius: kindergarten waiting list"
timezone = "Europe/Vilnius"
ruleset = "vilnius-rules.toml"
"""


def meta(home: Path) -> dict:
    con = store.open_snapshot(store.current(home).path)
    try:
        return dict(con.execute("SELECT key, value FROM meta").fetchall())
    finally:
        con.close()


def test_a_mapping_says_what_dataset_json_would_and_a_dataset_json_beside_the_files_wins(tmp_path, home):
    """A city's daily files come without dataset.json: the mapping's [dataset] gives the title,
    the time zone of its times and a ruleset file of its own folder; a dataset.json beside the
    files, where there is one, wins key by key."""
    own = (ROOT / "engine" / "rulesets" / "kz-2024.toml").read_text(encoding="utf-8")
    folder = vilnius_like(tmp_path / "ds", DATASET + APPLICATIONS_MAPPING + GROUPS_MAPPING)
    mapping = tmp_path / "elsewhere" / "vilnius.toml"  # the mapping and its ruleset outside the data
    mapping.parent.mkdir()
    (folder / "mapping.toml").rename(mapping)
    (mapping.parent / "vilnius-rules.toml").write_text(own.replace('name = "kz-2024"', 'name = "vilnius-own"'),
                                                      encoding="utf-8")
    done = run_kezek("update", "--source", str(folder), "--mapping", str(mapping), home=home)
    assert done.returncode == 0, done.stderr
    got = meta(home)
    assert (got["title"], got["timezone"]) == ("Vilnius: kindergarten waiting list", "Europe/Vilnius")
    assert got["ruleset"] == "vilnius-own" and "rules_unknown" not in got  # the publisher's own covers all of it
    # registered_at "2025-05-08 16:38:21" is the city's clock, kept as the city wrote it
    assert [str(r["registered_at"]) for r in published(home, "applications", "application_number")][0] == \
        "2025-05-08 16:38:21"
    (folder / "dataset.json").write_text(json.dumps({"title": "From dataset.json"}), encoding="utf-8")
    done = run_kezek("update", "--source", str(folder), "--mapping", str(mapping), home=home)
    assert done.returncode == 0, done.stderr
    assert (meta(home)["title"], meta(home)["timezone"]) == ("From dataset.json", "Europe/Vilnius")


def test_an_unknown_key_of_dataset_in_a_mapping_is_refused(tmp_path, home):
    folder = vilnius_like(tmp_path / "ds", '[dataset]\ntitel = "typo"\n' + APPLICATIONS_MAPPING + GROUPS_MAPPING)
    done = update(home, folder)
    assert done.returncode == 2
    assert "dataset: Value error, unknown key 'titel'; expected one of title, publisher" in done.stderr, done.stderr


def test_snapshot_time_is_the_time_of_the_dated_folder_and_an_error_elsewhere(tmp_path, home):
    vacancies = GROUPS_MAPPING + """
[tables.vacancies]
files = ["darzeliai_grupes"]
filter = "TRY_CAST(FREE_SPACE AS INTEGER) > 0"
[tables.vacancies.expressions]
bulletin_id = "'GID ' || GID"
kindergarten_id = "DARZ_ID"
announced_at = "snapshot_time()"
birth_year = "year(snapshot_time()) - 4"
language = "CASE LAN_LABEL WHEN 'Lietuvių' THEN 'lt' WHEN 'Rusų' THEN 'ru' END"
seats = "TRY_CAST(FREE_SPACE AS INTEGER)"
"""
    dated = vilnius_like(tmp_path / "2026-03-21T0210", APPLICATIONS_MAPPING + vacancies)
    (dated / "vacancies.csv").unlink()  # the groups file gives them
    update_ok(home, dated)
    assert [(r["bulletin_id"], str(r["announced_at"]), r["birth_year"], r["seats"])
            for r in published(home, "vacancies", "bulletin_id")] == [
        ("GID 109", "2026-03-21 02:10:00", 2022, 2), ("GID 280", "2026-03-21 02:10:00", 2022, 4)]
    undated = vilnius_like(tmp_path / "export", APPLICATIONS_MAPPING + vacancies)
    (undated / "vacancies.csv").unlink()
    done = update(tmp_path / "other-home", undated)
    assert done.returncode == 2
    assert ("tables.vacancies.expressions.announced_at: Invalid Input Error: snapshot_time() is the time of a "
            "snapshot: a folder named by it") in done.stderr, done.stderr


# -- safety: nothing but the expression runs ------------------------------------------------

UNSAFE = {
    "read_csv": ("expressions.birth_date", "read_csv('/etc/passwd')", "function read_csv is not allowed"),
    "subquery": ("expressions.birth_date", "(SELECT 1)", "a subquery is not allowed"),
    "network": ("expressions.birth_date", "read_parquet('https://example.com/x.parquet')",
                "function read_parquet is not allowed"),
    "setting": ("expressions.region", "current_setting('threads')", "function current_setting is not allowed"),
    "getenv": ("expressions.region", "getenv('HOME')", "function getenv is not allowed"),
    "copy": ("filter", "true; COPY (SELECT 1) TO '{out}'", "not one SQL expression"),
    "attach": ("expressions.region", "'x'; ATTACH '{out}' AS other", "not one SQL expression"),
    "set": ("filter", "true; SET enable_external_access = true", "not one SQL expression"),
    "table_function": ("expressions.region", "query_table('applications')", "function query_table is not allowed"),
    "from": ("filter", "true FROM read_csv('/etc/passwd')", "not a query"),
    "star": ("expressions.region", "*", "* is not allowed"),
    "qualified": ("expressions.region", "file.region", "column file.region is not allowed"),
    "column": ("expressions.birth_date", 'CAST("Gimimo data" AS DATE)', "the file has no column 'Gimimo data'"),
}


@pytest.mark.parametrize("case", UNSAFE)
def test_an_unsafe_expression_is_refused_with_its_key(tmp_path, home, case):
    key, text, message = UNSAFE[case]
    out = tmp_path / "written"
    text = text.replace("{out}", str(out))
    kind, _, column = key.partition(".")
    mapping = applications_mapping(text) if kind == "filter" else applications_mapping(**{column: text})
    folder = vilnius_like(tmp_path / "ds", mapping, groups=False)
    done = update(home, folder)
    assert done.returncode == 2, done.stderr
    assert f"tables.applications.{key}: " in done.stderr and message in done.stderr, done.stderr
    assert not (home / "published.json").exists() and not out.exists()


def test_every_problem_of_a_mapping_is_listed_at_once(tmp_path, home):
    mapping = applications_mapping("true; COPY (SELECT 1) TO '/tmp/x'", region="getenv('HOME')",
                                   language="(SELECT 1)")
    folder = vilnius_like(tmp_path / "ds", mapping + """
[tables.kindergartens]
files = ["darzeliai_grupes"]
[tables.kindergartens.expressions]
name_ru = "read_csv('/etc/passwd')"
""")
    done = update(home, folder)
    assert done.returncode == 2
    for expected in ("tables.applications.expressions.region: function getenv is not allowed",
                     "tables.applications.expressions.language: a subquery is not allowed",
                     "tables.applications.filter: is not one SQL expression",
                     "tables.kindergartens.expressions.name_ru: function read_csv is not allowed"):
        assert expected in done.stderr, done.stderr
    assert not (home / "published.json").exists()


def test_every_missing_column_is_listed_at_once(tmp_path, home):
    mapping = applications_mapping(birth_date='CAST("Gimimo data" AS DATE)', registered_at='CAST("Pateikta" AS TIMESTAMP)')
    done = update(home, vilnius_like(tmp_path / "ds", mapping, groups=False))
    assert done.returncode == 2
    assert "tables.applications.expressions.birth_date: the file has no column 'Gimimo data'" in done.stderr
    assert "tables.applications.expressions.registered_at: the file has no column 'Pateikta'" in done.stderr
    assert "required table 'applications' is missing" not in done.stderr


def test_a_value_an_expression_cannot_convert_names_its_key(tmp_path, home):
    folder = vilnius_like(tmp_path / "ds", APPLICATIONS_MAPPING, groups=False)
    rows = [dict(WAITING_LIST[0], **{"Vaiko gimimo data": "not a date"}), *WAITING_LIST[1:]]
    write_csv(folder / "laukianciuju_eileje_ataskaita.csv", rows, delimiter=";")
    done = update(home, folder)
    assert done.returncode == 2
    assert "tables.applications.expressions.birth_date: Conversion Error" in done.stderr, done.stderr
    assert not (home / "published.json").exists()


def test_personal_data_cannot_feed_a_published_column_through_an_expression(tmp_path, home):
    mapping = applications_mapping(application_number='trim("ИИН")').replace(
        '"Vaiko Identifikacinis Nr." = "application_number"\n', "")
    folder = vilnius_like(tmp_path / "ds", mapping, groups=False)
    rows = [dict(r, **{"ИИН": f"19010{i}300123"}) for i, r in enumerate(WAITING_LIST)]
    write_csv(folder / "laukianciuju_eileje_ataskaita.csv", rows, delimiter=";")
    done = update(home, folder)
    assert done.returncode == 2
    assert "header 'ИИН' names personal data; it cannot feed 'application_number'" in done.stderr, done.stderr


def test_two_files_for_one_table_are_still_refused(tmp_path, home):
    folder = vilnius_like(tmp_path / "ds", GROUPS_MAPPING, waiting=False)
    write_csv(folder / "kindergartens.csv", [kindergarten("K1", region="Vilnius")])
    done = update(home, folder)
    assert done.returncode == 2 and "table 'kindergartens' is also given by" in done.stderr


def test_an_unknown_reference_system_is_refused(tmp_path, home):
    folder = vilnius_like(tmp_path / "ds", GROUPS_MAPPING.replace("EPSG:3346", "EPSG:99999"), waiting=False)
    done = update(home, folder)
    assert done.returncode == 2 and "unknown reference system" in done.stderr, done.stderr


# -- the documentation --------------------------------------------------------------------------

def test_every_key_of_a_mapping_file_is_documented():
    doc = (ROOT / "docs" / "mapping.md").read_text(encoding="utf-8")
    models = [m for m in vars(mapping_module).values()
              if isinstance(m, type) and issubclass(m, BaseModel) and m.__module__ == mapping_module.__name__]
    assert len(models) >= 4
    missing = [f"{m.__name__}.{f.alias or name}" for m in models for name, f in m.model_fields.items()
               if f"`{f.alias or name}`" not in doc]
    assert missing == []
    assert "docs/mapping.md" in (ROOT / "README.md").read_text(encoding="utf-8")
