"""What `kezek update` tells an akimat's clerk: in their language, with their own headers and
date style, the same problem on many rows once, every problem in one pass, the header row
found under a title, ignored files with the reason, `--check`, a CSV report without personal
values, and a warning when dataset.json does not describe the data (issue 19, items 1 and 2).

Every test drives the command line (kezek.cli.main, in this process: its start-up is paid once)
on small files written in Russian, as exports are."""

from __future__ import annotations

import csv
import re
import shutil
import zipfile
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import write_csv
from kezek.cli import main

ROOT = Path(__file__).resolve().parents[1]

KINDERGARTEN = {"Код организации": "K1", "Наименование": "Детский сад №1", "Регион": "Астана",
                "Форма собственности": "Государственный", "Языки обучения": "kk|ru"}
DESCRIBED = {"title": "Очередь в детские сады Астаны", "publisher": "Управление образования города Астаны",
             "license": "CC0-1.0"}


def vacancy(bulletin="B1", kindergarten="K1", **kw) -> dict:
    return {"Номер бюллетеня": bulletin, "Код организации": kindergarten, "Дата публикации": "10.04.2017 09:00",
            "Год рождения": "2015", "Язык обучения": "Казахский", "Количество мест": "3", **kw}


def application(i: int, **kw) -> dict:
    return {"Номер заявления": f"УО.2016.{i:06d}.1", "Регион": "Астана", "Дата рождения": "15.01.2015",
            "Дата регистрации": f"01.02.2016 {8 + i % 10:02d}:{i % 60:02d}", "Льгота": "Без льготы",
            "Статус": "В очереди", **kw}


def dataset(folder: Path, applications: list[dict] | None = None, vacancies: list[dict] | None = None,
            metadata: dict | None = DESCRIBED) -> Path:
    """An export as an akimat writes it: Russian headers and labels, dates as dd.mm.yyyy, `;`."""
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / "kindergartens.csv", [KINDERGARTEN], delimiter=";")
    write_csv(folder / "vacancies.csv", vacancies or [vacancy()], delimiter=";")
    write_csv(folder / "applications.csv", applications or [application(i) for i in range(1, 4)], delimiter=";")
    if metadata is not None:
        (folder / "dataset.json").write_text(json.dumps(metadata, ensure_ascii=False), encoding="utf-8")
    return folder


@pytest.fixture(autouse=True)
def cli(capsys, monkeypatch):
    """`kezek ARGS` with a locale that says nothing unless a test gives one (env)."""
    global kezek

    def kezek(*args: str, env: dict | None = None) -> SimpleNamespace:
        for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
            monkeypatch.delenv(name, raising=False)
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        capsys.readouterr()
        status = main(list(args))
        out, err = capsys.readouterr()
        return SimpleNamespace(returncode=status, stdout=out, stderr=err)

    yield


def check(folder: Path, home: Path, *args: str, env: dict | None = None) -> SimpleNamespace:
    return kezek("update", "--check", "--source", str(folder), "--home", str(home), *args, env=env)


def refused(folder: Path, home: Path, lang: str) -> str:
    """What `--check --lang LANG` says of a folder it refuses (exit status 2)."""
    done = check(folder, home, "--lang", lang)
    assert done.returncode == 2, done.stdout + done.stderr
    return done.stderr


def test_a_problem_names_the_files_own_header_and_writes_dates_as_the_file_does(tmp_path):
    folder = dataset(tmp_path / "ds", [application(1, **{"Дата регистрации": "31.02.2016 10:00"}),
                                       application(2, **{"Дата рождения": "01.03.2016"})])
    said = refused(folder, tmp_path / "home", "ru")
    assert ("applications.csv, строка 2, столбец «Дата регистрации» (registered_at): не удалось прочитать "
            "«31.02.2016 10:00» как дату и время (пишите так: 05.06.2017 09:30)") in said
    assert "registered_at:" not in said and "2016-02-31" not in said


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_no_birth_date_is_printed_logged_or_kept_only_its_rows_and_column(tmp_path, lang):
    """A child's birth date after the registration, or one that does not read as a date: the
    clerk is told the rows and the column, and the date is nowhere (stderr, update.log,
    problems.csv), as written or as ISO."""
    born = ["01.03.2016", "02.03.2016", "03.03.2016", "32.13.2014"]
    rows = [application(1)] + [application(i, **{"Дата рождения": b}) for i, b in enumerate(born, start=2)]
    home = tmp_path / "home"
    done = kezek("update", "--source", str(dataset(tmp_path / "ds", rows)), "--home", str(home), "--lang", lang)
    assert done.returncode == 2
    said = {"ru": ["applications.csv, 3 строки (3–5), столбец «Дата рождения» (birth_date): дата рождения позже "
                   "даты регистрации", "applications.csv, строка 6, столбец «Дата рождения» (birth_date): не удалось "
                   "прочитать значение как дату (пишите так: 05.06.2017"],
            "en": ["applications.csv, 3 rows (3–5), column «Дата рождения» (birth_date): the birth date is after the "
                   "registration date", "applications.csv, row 6, column «Дата рождения» (birth_date): cannot read the "
                   "value as a date (write it as 05.06.2017"]}[lang]
    assert all(line in done.stderr for line in said), done.stderr
    written = [done.stdout, done.stderr, (home / "update.log").read_text(encoding="utf-8")]
    written += [p.read_text(encoding="utf-8-sig") for p in home.glob("problems.csv")]
    for date in [*born, "2016-03-01", "2016-03-02", "2016-03-03", "2014-13-32"]:
        assert not any(date in text for text in written), date


@pytest.mark.parametrize("env, lang_arg, headline", [
    ({"LANG": "kk_KZ.UTF-8"}, (), "kezek update: тексеру: 1 мәселе; жаңарту ештеңе жарияламас еді:"),
    ({"LANG": "kk_KZ.UTF-8", "LC_ALL": "ru_RU.UTF-8"}, (), "kezek update: проверка: 1 проблема; обновление"),
    ({"LANG": "C.UTF-8"}, (), "kezek update: check: 1 problem; an update would publish nothing:"),
    ({"LANG": "ru_RU.UTF-8"}, ("--lang", "en"), "kezek update: check: 1 problem;"),
])
def test_the_language_is_the_flag_else_the_locale_else_english(tmp_path, env, lang_arg, headline):
    folder = dataset(tmp_path / "ds", vacancies=[vacancy(**{"Количество мест": "много"})])
    done = check(folder, tmp_path / "home", *lang_arg, env=env)
    assert done.returncode == 2
    assert done.stderr.startswith(headline), done.stderr


def test_an_unknown_value_on_many_rows_is_one_line_with_the_rows_and_the_labels_accepted(tmp_path):
    rows = [application(i) for i in range(1, 11)] + [application(i, Льгота="Многодетная") for i in range(11, 55)]
    folder = dataset(tmp_path / "ds", rows)
    problems = [line for line in refused(folder, tmp_path / "home", "ru").splitlines() if line.startswith("applications.csv")]
    assert problems == ["applications.csv, 44 строки (12–55), столбец «Льгота» (privilege): неизвестное значение "
                        "«Многодетная»; допустимые значения: Без льготы, Первоочередное, Внеочередное "
                        "(или коды: none, first, extraordinary)"]
    assert ("44 жол (12–55), «Льгота» (privilege) бағаны: белгісіз мән «Многодетная»; қабылданатын мәндер: "
            "Жеңілдіксіз, Бірінші кезектегі, Кезектен тыс (немесе кодтар: none, first, extraordinary)") in refused(
        folder, tmp_path / "home", "kk")


def test_every_problem_is_found_in_one_pass(tmp_path):
    """A bad number of seats no longer hides a bulletin of a kindergarten the register lacks."""
    folder = dataset(tmp_path / "ds", vacancies=[vacancy(**{"Количество мест": "много"}),
                                                 vacancy("B2", "K404")])
    said = refused(folder, tmp_path / "home", "ru")
    assert ("vacancies.csv, строка 2, столбец «Количество мест» (seats): не удалось прочитать «много» как целое "
            "число") in said
    assert ("vacancies.csv, строка 3, столбец «Код организации» (kindergarten_id): в таблице kindergartens нет "
            "«K404»") in said
    assert "проверка: 2 проблемы;" in said.splitlines()[0]


def test_the_header_row_is_found_under_a_title_and_said(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    folder = dataset(tmp_path / "ds")
    (folder / "applications.csv").unlink()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Список заявлений на 05.06.2017"])
    sheet.append([])
    rows = [application(i) for i in range(1, 4)]
    sheet.append(list(rows[0]))
    for row in rows:
        sheet.append(list(row.values()))
    book.save(folder / "applications.xlsx")
    # a CSV saved with a title line above its headers too
    lines = (folder / "vacancies.csv").read_text(encoding="utf-8").splitlines()
    (folder / "vacancies.csv").write_text("\n".join(["Вакантные места;;;;;", ";;;;;", *lines]) + "\n", encoding="utf-8")
    home = tmp_path / "home"
    done = check(folder, home, "--lang", "ru")
    assert done.returncode == 0, done.stderr
    assert "applications.xlsx: заголовки взяты из строки 3; строки выше прочитаны как название таблицы" in done.stdout
    assert "vacancies.csv: заголовки взяты из строки 3" in done.stdout
    assert "  applications: 3 строки" in done.stdout and "  vacancies: 1 строка" in done.stdout
    # a problem counts its row as the sheet does: the second application is row 5
    sheet.cell(row=5, column=5, value="Неясно")
    book.save(folder / "applications.xlsx")
    assert "applications.xlsx, строка 5, столбец «Льгота» (privilege): неизвестное значение «Неясно»" in refused(
        folder, home, "ru")


def test_an_ignored_file_is_named_with_the_reason(tmp_path):
    folder = dataset(tmp_path / "ds")
    (folder / "applications.csv").rename(folder / "Заявления.csv")
    (folder / "notes.docx").write_bytes(b"PK\x03\x04")
    said = refused(folder, tmp_path / "home", "ru")
    assert ("Заявления.csv: пропущен: имя файла не совпадает с таблицей формата; файл читается по имени "
            "(kindergartens, groups, vacancies, applications, events, positions, choices) или по mapping.toml, "
            "где он назван") in said
    assert "notes.docx: пропущен: Kezek не читает такой формат (читает .csv, .parquet, .json, .jsonl, .xlsx)" in said
    assert "applications.*: нет обязательной таблицы applications" in said


def test_check_validates_without_publishing(tmp_path):
    home = tmp_path / "home"
    folder = dataset(tmp_path / "ds")
    done = check(folder, home, "--lang", "ru")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:4] == [
        "проверка: проблем нет; обновление опубликовало бы (сейчас ничего не опубликовано):",
        "  kindergartens: 1 строка", "  vacancies: 1 строка", "  applications: 3 строки"]
    assert not (home / "published.json").exists() and not (home / "snapshots").exists()
    assert not (home / "update.log").exists()  # a check is no run of the update: the data's age is unchanged
    published = kezek("update", "--source", str(folder), "--home", str(home), "--lang", "kk")
    assert published.returncode == 0, published.stderr
    assert "нұсқасы жарияланды" in published.stdout and "  applications: 3 жол" in published.stdout
    before = (home / "published.json").read_bytes()
    write_csv(folder / "vacancies.csv", [vacancy(**{"Количество мест": "0"})], delimiter=";")
    refused = check(folder, home, "--lang", "en")
    assert refused.returncode == 2
    assert "vacancies.csv, row 2, column «Количество мест» (seats): must be at least 1, got 0" in refused.stderr
    assert (home / "published.json").read_bytes() == before
    assert len((home / "update.log").read_text(encoding="utf-8").splitlines()) == 1


def test_the_csv_report_lists_every_problem_without_personal_values(tmp_path):
    home = tmp_path / "home"
    rows = [application(i, Статус=f"мама 8701555{i:04d}") for i in range(1, 31)]
    rows[0]["Дата рождения"] = "01.03.2016"  # after the registration: a problem of a personal column
    done = check(dataset(tmp_path / "ds", rows), home, "--lang", "ru")
    assert done.returncode == 2
    report = home / "problems.csv"
    assert done.stderr.splitlines()[-1] == f"все проблемы, по одной в строке: {report}"
    assert "… и ещё 11 проблем" in done.stderr
    with open(report, encoding="utf-8-sig", newline="") as fh:
        listed = list(csv.DictReader(fh, delimiter=";"))
    assert len(listed) == 31  # 30 statuses and a birth date
    assert {r["столбец"] for r in listed} == {"«Статус» (status)", "«Дата рождения» (birth_date)"}
    text = report.read_text(encoding="utf-8-sig")
    assert "8701555" not in text and "01.03.2016" not in text and "мама" not in text
    assert all(r["значение"] == "" for r in listed)


@pytest.mark.parametrize("metadata, said", [
    (None, "kezek update: предупреждение: dataset.json: файла нет: на всех страницах название, издатель и "
           "лицензия будут «—»; добавьте dataset.json (docs/format.md)"),
    ({"title": "Очередь", "publisher": "Акимат"}, "kezek update: предупреждение: dataset.json: не указано: license;"),
    (DESCRIBED, None),
])
def test_a_dataset_json_that_says_too_little_is_warned_of(tmp_path, metadata, said):
    done = check(dataset(tmp_path / "ds", metadata=metadata), tmp_path / "home", "--lang", "ru")
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if "dataset.json" in line]
    assert warnings == ([] if said is None else [line for line in warnings if line.startswith(said)])
    assert len(warnings) == (said is not None)


def test_the_format_documents_every_key_of_dataset_json_with_an_example():
    from engine.schema import DATASET_KEYS

    text = (ROOT / "docs" / "format.md").read_text(encoding="utf-8")
    section = text.split("## `dataset.json`", 1)[1].split("\n## ", 1)[0]
    example = json.loads(section.split("```json", 1)[1].split("```", 1)[0])
    assert set(example) == set(DATASET_KEYS)
    assert all(f"`{key}`" in section for key in DATASET_KEYS)


def test_missing_columns_say_which_row_was_read_as_the_headers(tmp_path):
    folder = dataset(tmp_path / "ds")
    write_csv(folder / "kindergartens.csv", [{"Организация": "K1", "Адрес сайта": "kg1.kz"}], delimiter=";")
    said = refused(folder, tmp_path / "home", "ru")
    assert "  kindergartens.csv: заголовки прочитаны из строки 1: Организация, Адрес сайта" in said
    assert ("kindergartens.csv, столбец kindergarten_id: нет обязательного столбца (допустимые заголовки: "
            "kindergarten_id, Код организации, Код ДО, Ұйым коды") in said
    # each missing column once, not again on every row, nor as references to a register without ids
    assert "kindergartens.csv: нет столбца с наименованием: name_kk или name_ru" not in said
    assert "столбец name_kk: нет столбца с наименованием" in said and "нужно наименование" not in said
    assert "значение обязательно" not in said and "в таблице kindergartens нет" not in said


# --- every problem and warning in the clerk's language ------------------------------------------

# Words that are the same in every language: formats, encodings, programs (and e-mail).
SAME_IN_EVERY_LANGUAGE = {"CSV", "JSON", "TOML", "UTF", "NUL", "IANA", "Excel", "Windows", "git", "zip", "Kezek"}
# What a message names as it is: files, paths, the format's tables and columns (snake_case),
# a time zone's name, and the command's own name at the start of a line.
NAMED = re.compile(r"[\w./-]*\.(csv|json|zip|toml|md|xlsx)\b|/[\w/.-]+|\b[a-z]+(_[a-z0-9]+)+\b"
                   r"|\b[A-Z][a-z]+/[A-Za-z_]+\b|^kezek update:", re.MULTILINE)
TABLE_NAMES = {"kindergartens", "groups", "vacancies", "applications", "events", "positions", "choices"}


def english(text: str, *data: str) -> set[str]:
    """The English words of `text`, leaving out the data's own values and what it names as is."""
    for value in data:
        text = text.replace(value, " ")
    words = set(re.findall(r"[A-Za-z]{2,}", NAMED.sub(" ", text).replace("e-mail", " ")))
    return words - SAME_IN_EVERY_LANGUAGE - TABLE_NAMES


def unsafe_zip(folder: Path) -> Path:
    """The export zipped, with a member that would be written outside the folder."""
    path = folder.parent / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for file in folder.iterdir():
            archive.write(file, file.name)
        archive.writestr("../evil.csv", "a,b\n")
    return path


def mixed_encodings(folder: Path) -> Path:
    """A last row saved in Windows-1251 under the file's UTF-8 rows."""
    with open(folder / "applications.csv", "ab") as fh:
        fh.write(";".join(application(9).values()).encode("cp1251") + b"\n")
    return folder


def too_wide(folder: Path) -> Path:
    write_csv(folder / "groups.csv", [{f"Столбец {i}": "" for i in range(1001)}], delimiter=";")
    return folder


def repeated_header(folder: Path) -> Path:
    lines = (folder / "kindergartens.csv").read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + ";Примечание;Примечание", *(line + ";;" for line in lines[1:])]
    (folder / "kindergartens.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def described(folder: Path, **metadata) -> Path:
    (folder / "dataset.json").write_text(json.dumps({**DESCRIBED, **metadata}, ensure_ascii=False), encoding="utf-8")
    return folder


def series(folder: Path) -> Path:
    """Two snapshot folders of the same minute."""
    for name in ("2017-06-05", "2017-06-05T0000"):
        shutil.copytree(folder, folder / name, ignore=shutil.ignore_patterns("2017-*"))
    for file in folder.glob("*.*"):
        file.unlink()
    return folder


def unknown_kindergarten_chosen(folder: Path) -> Path:
    write_csv(folder / "choices.csv", [{"Номер заявления": "УО.2016.000001.1", "Приоритет": "1",
                                        "Желаемый детский сад": "K404"}], delimiter=";")
    return folder


# group → (what makes the folder refused or warned of, what Russian and Kazakh say, the
# values and keys they quote as they are)
SAID = {
    "zip": (unsafe_zip, "небезопасный путь в архиве: ../evil.csv (абсолютный путь",
            "мұрағатта қауіпті жол: ../evil.csv"),
    "encoding": (mixed_encodings, "applications.csv, строка 5: не в кодировке UTF-8, а другие строки файла в ней",
                 "applications.csv, 5-жол: UTF-8 кодтауында емес"),
    "size": (too_wide, "groups.csv: столбцов: 1 001, больше предела 1 000", "groups.csv: бағандар саны 1 001, шегі 1 000"),
    "headers": (repeated_header, "kindergartens.csv, строка 1, столбец Примечание: заголовок повторяется (столбцы 6 и 7)",
                "kindergartens.csv, 1-жол, Примечание бағаны: тақырып қайталанады (6 және 7 бағандар)"),
    "mapping": (lambda f: (f / "mapping.toml").write_text("[tables.applications]\ncolumnz = {}\n") and f,
                "столбец tables.applications.columnz: в файле сопоставления нет такого ключа",
                "сәйкестендіру файлында мұндай кілт жоқ", "tables.applications.columnz"),
    "time zone": (lambda f: described(f, timezone="Asia/Nowhere"),
                  "dataset.json, столбец timezone: неизвестный часовой пояс «Asia/Nowhere»; ожидается имя IANA",
                  "белгісіз уақыт белдеуі «Asia/Nowhere»", "timezone"),
    "dataset.json": (lambda f: described(f, publisher="Иванова А. ivanova@mail.kz"),
                     "dataset.json, столбец publisher: похоже на персональные данные (ИИН, телефон или e-mail)",
                     "dataset.json, publisher бағаны: дербес деректерге ұқсайды", "publisher", "i***@mail.kz"),
    "series": (series, "2017-06-05T0000: то же время среза, что у 2017-06-05; оставьте одну из двух папок",
               "2017-06-05T0000: кесіндінің уақыты 2017-06-05 қалтасымен бірдей"),
    "warning": (unknown_kindergarten_chosen,
                "предупреждение: choices.csv: 1 строка таблицы choices называет 1 значение kindergarten_id не из "
                "таблицы kindergartens — «K404» (1); опубликовано как указано",
                "ескерту: choices.csv: choices кестесінің 1 жолы kindergartens кестесінде жоқ kindergarten_id "
                "бағанының 1 мәнін атайды — «K404» (1)", "K404"),
}


@pytest.mark.parametrize("lang", ["ru", "kk"])
@pytest.mark.parametrize("group", list(SAID))
def test_every_kind_of_problem_and_warning_is_said_in_the_clerks_language(tmp_path, group, lang):
    make, *said = SAID[group][:3]
    source = make(dataset(tmp_path / "ds"))
    done = check(source, tmp_path / "home", "--lang", lang)
    assert done.returncode == (0 if group == "warning" else 2), done.stderr
    assert said[lang == "kk"] in done.stderr, done.stderr
    assert english(done.stderr, *SAID[group][3:]) == set(), done.stderr


# lang → the warning of numbers that share a key, and the start of the one of a list of
# publications that could not be written (the system's own words follow, in brackets)
PUBLICATION_WARNINGS = {
    "ru": ("kezek update: предупреждение: applications: 1 группа номеров заявлений различается только разделителями "
           "или ведущими нулями: УО.2016.000002.1 / УО.2016.2.1; каждый номер находится, только если ввести его так, "
           "как он опубликован",
           "kezek update: предупреждение: не удалось записать список публикаций open-data/publications.json ("),
    "kk": ("kezek update: ескерту: applications: өтініш нөмірлерінің 1 тобы тек бөлгіштермен немесе алдыңғы нөлдермен "
           "ерекшеленеді: УО.2016.000002.1 / УО.2016.2.1; әр нөмір жарияланғандай терілгенде ғана табылады",
           "kezek update: ескерту: open-data/publications.json жариялаулар тізімі жазылмады ("),
}


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_warnings_of_a_publication_are_said_in_the_clerks_language(tmp_path, lang):
    """Numbers that share a forgiving key, and a list of publications that could not be
    written: published all the same, and said in the clerk's language."""
    rows = [application(i) for i in range(1, 4)] + [application(4, **{"Номер заявления": "УО.2016.2.1"})]
    home = tmp_path / "home"
    (home / "open-data" / "publications.json").mkdir(parents=True)  # where the list would be written
    done = kezek("update", "--source", str(dataset(tmp_path / "ds", rows)), "--home", str(home), "--lang", lang)
    assert done.returncode == 0, done.stderr
    shared, unwritten = PUBLICATION_WARNINGS[lang]
    warned = [line for line in done.stderr.splitlines() if line.startswith("kezek update:")]
    assert shared in warned and [line for line in warned if line.startswith(unwritten)], warned
    assert english("\n".join(re.sub(r"\(\[Errno.*?\)", " ", line) for line in warned)) == set(), warned
