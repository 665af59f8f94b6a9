"""Columns that identify a person are dropped on arrival (open-data-format.md, "Personal data").

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
