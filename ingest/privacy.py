"""Columns that identify a person are dropped on arrival (open-data-format.md, "Personal data").

Values too: in free text (an event's reason, a group's name, a column the format does not
know), a value holding an ИИН, an e-mail address or a phone number is withheld (kept empty)
and counted in the update's report, whatever its column's header says.

A column is personal when its header names an identity number (ИИН/IIN/ЖСН), a person's
name, a phone, an e-mail, a home address, a birth date other than the child's canonical
one, or an identity document, and the table does not publish it as an institution's own
contact (`Table.institutional`).
"""

from __future__ import annotations

import re

from ingest.labels import header_key

PERSONAL = re.compile(
    r"""
    \b(иин|iin|жсн|инн|ssn|bin)\b                              # identity numbers
    | фио | \bf\.?i\.?o\b | full\s?name | полное\ имя | аты[\s-]*жөні
    | \b(фамилия|имя|отчество|тегі|аты|әкесінің\ аты|surname|patronymic)\b
    | \b(first|last|middle|given|family|person|child|parent|applicant)[\s_]*name\b
    | ^name$
    | телефон | \bтел\b | phone | mobile | ұялы | моб
    | e-?mail | почта | пошта
    | адрес | address | мекен[\s-]*жай
    | рождени | туған\ күн | birth[\s_]*date | date[\s_]*of[\s_]*birth | \bdob\b
    | заявител | өтініш\ беруші | applicant | родител | ата-ана | қамқорл | guardian
    | свидетельств | куәлік | удостоверени | паспорт | passport | document
    """,
    re.VERBOSE,
)


def is_personal(header: str) -> bool:
    return bool(PERSONAL.search(header_key(header)))


# An ИИН (12 digits, not part of a longer number), an e-mail address, a Kazakh phone number
# (+7 or 8, then 10 digits with spaces, brackets or dashes). For DuckDB's regexp_matches.
PERSONAL_VALUE = (r"(^|[^0-9])[0-9]{12}([^0-9]|$)"
                  r"|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
                  r"|(\+7|(^|[^0-9])8)([ ()-]*[0-9]){10}([^0-9]|$)")
# The format's own free-text columns, checked value by value (besides unknown columns).
FREE_TEXT = {"events": ("reason",), "groups": ("name", "program")}


def withheld_sql(column_sql: str) -> str:
    """`column_sql`, or NULL when its value looks like personal data."""
    return f"CASE WHEN regexp_matches(CAST({column_sql} AS VARCHAR), '{PERSONAL_VALUE}') THEN NULL ELSE {column_sql} END"


def looks_personal_sql(column_sql: str) -> str:
    return f"coalesce(regexp_matches(CAST({column_sql} AS VARCHAR), '{PERSONAL_VALUE}'), false)"
