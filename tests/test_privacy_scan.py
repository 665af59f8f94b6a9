"""A scan of every output for personal data, on each demo preset with personal data planted.

The demo's export gets the columns a real one carries and must not leak: the child's ИИН, the
applicant's full name, phone, e-mail and home address, and the child's birth date; and one
event in 40 gets a reason with a phone number or an ИИН in its free text. The names and
addresses carry marker words. After `kezek update` and `kezek export`, every output is
scanned:
- the published snapshot (every text column of every table) and the raw archive;
- the export's CSV and Parquet files and datapackage.json;
- the update's report, HOME/update.log and HOME/publications.jsonl;
- the API's answers (lookups, histories, forecasts, queue pages, the register, findings);
- every dashboard page, rendered, with a lookup.
A hit is an ИИН, a phone, an e-mail (ingest/privacy.py's pattern), a marker word, or an
application's own birth date in a row or an answer about it. Zero hits on each preset.
Default: astana-2017; KEZEK_SLOW=1 adds almaty and national.
"""

from __future__ import annotations

import json
import re

import duckdb
import pytest

from conftest import SLOW, run_kezek
from ingest.privacy import PERSONAL_VALUE

PRESETS = ["astana-2017"] + (["almaty", "national"] if SLOW else [])
MARKERS = ["Жекебаева", "Құпиякөше"]
PATTERN = re.compile(PERSONAL_VALUE + "|" + "|".join(MARKERS))
PAGES = ["overview", "lookup", "queue", "movement", "kindergartens", "vacancies", "audit", "open_data", "about"]
# Contacts an institution publishes on purpose (engine/schema.py, `institutional`).
INSTITUTIONAL = {("kindergartens", "phone"), ("kindergartens", "website"), ("kindergartens", "address")}


@pytest.fixture(scope="module", params=PRESETS)
def planted(request, tmp_path_factory, demo_data):
    preset = request.param
    root = tmp_path_factory.mktemp(f"scan-{preset}")
    demo = demo_data(preset)
    folder = demo.write(root / "ds", "parquet")
    apps, events = folder / "applications.parquet", folder / "events.parquet"
    con = duckdb.connect()
    # Set-based: the personal columns of a real export, derived from each row.
    con.execute(f"""
        COPY (
            SELECT *,
                strftime(birth_date, '%y%m%d') || lpad(CAST(n % 1000000 AS VARCHAR), 6, '0') AS "ИИН ребенка",
                '{MARKERS[0]} Айгерим ' || n AS "ФИО заявителя",
                '+7 701 ' || lpad(CAST(n % 10000000 AS VARCHAR), 7, '0') AS "Телефон",
                'parent' || n || '@mail.kz' AS "E-mail",
                '{MARKERS[1]}, ' || n AS "Адрес проживания"
            FROM (SELECT *, row_number() OVER (ORDER BY application_number) AS n FROM '{apps}')
        ) TO '{root / "apps.parquet"}' (FORMAT parquet)""")
    con.execute(f"""
        COPY (
            SELECT * REPLACE (
                CASE WHEN hash(application_number, _seq) % 40 = 0
                     THEN 'мать просила позвонить: 8 (701) 555-' || lpad(CAST(_seq % 10000 AS VARCHAR), 4, '0')
                     WHEN hash(application_number, _seq) % 40 = 1
                     THEN 'ИИН ' || strftime(DATE '2016-01-01' + CAST(_seq % 700 AS INTEGER), '%y%m%d') || '400123'
                     ELSE reason END AS reason)
            FROM (SELECT *, row_number() OVER (ORDER BY application_number, "at", event) AS _seq FROM '{events}')
        ) TO '{root / "events.parquet"}' (FORMAT parquet)""")
    con.close()
    (root / "apps.parquet").replace(apps)
    duckdb.sql(f"COPY (SELECT * EXCLUDE (_seq) FROM '{root / 'events.parquet'}') TO '{events}' (FORMAT parquet)")
    home = root / "home"
    done = run_kezek("update", "--source", str(folder), home=home, check=True)
    exported = run_kezek("export", "--out", str(root / "export"), home=home, check=True)
    born = {r["application_number"]: r["birth_date"]
            for r in demo.tables["applications"].select(["application_number", "birth_date"]).to_pylist()}
    return preset, home, root, done.stdout + done.stderr + exported.stdout + exported.stderr, born


def hits_in_text(text: str, institutional: tuple[str, ...] = ()) -> list[str]:
    """Matches in `text`, after the kindergartens' own published contacts are taken out."""
    for contact in institutional:
        text = text.replace(contact, "")
    return [m.group(0) for m in PATTERN.finditer(text)][:5]


def package_texts(doc, key: str = "") -> str:
    """Every text of datapackage.json but the files' checksums (hexadecimal digits that may
    look like an ИИН)."""
    if isinstance(doc, dict):
        return "\n".join(package_texts(v, k) for k, v in doc.items())
    if isinstance(doc, list):
        return "\n".join(package_texts(v, key) for v in doc)
    return "" if key in ("hash", "sha256", "kezek:sha256") else str(doc)


def scan_relations(con: duckdb.DuckDBPyConnection, relations: dict[str, str], born_table: str) -> list[str]:
    """Hits in every text column of each relation (name → SQL), and rows that carry their own
    application's birth date; set-based, one query per column."""
    found = []
    for name, relation in relations.items():
        columns = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
        keyed = any(c[0] == "application_number" for c in columns)
        for column, type_, *_ in columns:
            if (name.split("/")[-1].split(".")[0], column) in INSTITUTIONAL:
                continue
            value = f'CAST("{column}" AS VARCHAR)'
            n = con.execute(f"SELECT count(*) FROM {relation} WHERE regexp_matches({value}, $p)",
                            {"p": PATTERN.pattern}).fetchone()[0]
            if n:
                found.append(f"{name}.{column}: {n} values like personal data")
            if keyed and column != "application_number" and type_ in ("DATE", "VARCHAR", "TIMESTAMP"):
                n = con.execute(f"""
                    SELECT count(*) FROM {relation} AS r JOIN {born_table} AS b USING (application_number)
                    WHERE {value} IN (strftime(b.birth_date, '%Y-%m-%d'), strftime(b.birth_date, '%d.%m.%Y'))
                """).fetchone()[0]
                if n:
                    found.append(f"{name}.{column}: {n} rows carry their child's birth date")
    return found


def test_no_output_carries_personal_data(planted, monkeypatch):
    from test_api import PREFIX, client_for
    from test_dashboard import texts, visit

    preset, home, root, report, born = planted
    assert "personal data dropped" in report and "withheld" in report  # the planted data was met
    found = [f"report: {h}" for h in hits_in_text(report)]
    for log in ("update.log", "publications.jsonl"):
        found += [f"{log}: {h}" for h in hits_in_text((home / log).read_text(encoding="utf-8"))]

    con = duckdb.connect()
    con.execute("CREATE TABLE born AS SELECT application_number, CAST(birth_date AS DATE) AS birth_date "
                f"FROM '{root / 'ds' / 'applications.parquet'}'")
    snapshot = next((home / "snapshots").glob("*.duckdb"))
    con.execute(f"ATTACH '{snapshot}' AS snap (READ_ONLY)")
    tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'snap'").fetchall()]
    found += scan_relations(con, {f"snapshot/{t}": f'snap."{t}"' for t in tables}, "born")
    archived = sorted((home / "archive").glob("*/*.parquet"))
    assert archived
    found += scan_relations(con, {f"archive/{p.parent.name[:8]}/{p.name}": f"'{p}'" for p in archived}, "born")
    export = root / "export"
    found += scan_relations(con, {f"export/csv/{p.name}": f"read_csv('{p}', all_varchar = true)"
                                  for p in sorted((export / "csv").glob("*.csv"))}, "born")
    found += scan_relations(con, {f"export/parquet/{p.name}": f"'{p}'"
                                  for p in sorted((export / "parquet").glob("*.parquet"))}, "born")
    found += [f"datapackage.json: {h}" for h in hits_in_text(package_texts(json.loads(
        (export / "datapackage.json").read_text(encoding="utf-8"))))]
    contacts = tuple(sorted({v for row in con.execute(
        "SELECT phone, website, address FROM snap.kindergartens").fetchall() for v in row if v}, key=len, reverse=True))
    sample = [n for (n,) in con.execute(
        "SELECT application_number FROM snap.queue ORDER BY hash(application_number), application_number LIMIT 8").fetchall()]
    con.close()

    api = client_for(home)
    bodies = {path: api.get(PREFIX + path).text for path in
              ("/kindergartens?limit=200", "/vacancies?limit=200", "/findings?limit=200", "/segments/weeks?limit=200")}
    for number in sample:
        styles = (born[number].isoformat(), born[number].strftime("%d.%m.%Y"))
        for path in ("", "/history", "/forecast"):
            body = api.get(f"{PREFIX}/applications/{number}{path}").text
            bodies[f"/applications/{number}{path}"] = body
            found += [f"{path or '/lookup'} of {number}: birth date" for s in styles if s in body]
        bodies[f"/queue?number={number}"] = api.get(f"{PREFIX}/queue", params={"number": number}).text
    for path, body in bodies.items():
        found += [f"API {path}: {h}" for h in hits_in_text(json.dumps(json.loads(body), ensure_ascii=False), contacts)]

    for page in PAGES:
        at = visit(home, monkeypatch, page, "ru", **({"app": sample[0]} if page == "lookup" else {}))
        shown = texts(at) + "".join(df.value.to_csv() for df in at.dataframe)
        found += [f"page {page}: {h}" for h in hits_in_text(shown, contacts)]
        if page == "lookup":
            found += [f"page lookup: birth date of {sample[0]}" for s in (born[sample[0]].strftime("%d.%m.%Y"),) if s in shown]
    assert found == [], "\n".join(found)
