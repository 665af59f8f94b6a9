"""Columns that identify a person are dropped on arrival (open-data-format.md, "Personal data").

Values too: in free text (an event's reason, a group's name, a column the format does not
know), a value holding an ИИН, an e-mail address or a phone number is withheld (kept empty)
and counted in the update's report, whatever its column's header says; in a kindergarten's
names, district, address, phone and website, an ИИН or an e-mail is (its phone is its own).
Where such a value would be a key or a place (an application number, a region, a locality),
the input is refused (ingest/load.py), and every problem line masks it (`mask`).

A column is personal when its header names an identity number (ИИН/IIN/ЖСН), a person's
name, a phone, an e-mail, a home address, a birth date other than the child's canonical
one, or an identity document, and the table does not publish it as an institution's own
contact (`Table.institutional`).
"""

from __future__ import annotations

import re

from ingest.vocabulary import header_key

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


# Person-shaped values, one definition for DuckDB (RE2) and Python (`re`): each pattern
# below is plain syntax both engines read alike (no lookarounds, no \w, which RE2 reads
# as ASCII only); the boundary "not inside a longer number" is added per engine.
_SEP = "[ \u00a0-]?"  # a space or a dash where people group an ИИН's digits

# An ИИН: a birth date YYMMDD (month 01-12, day 01-31), a century-and-sex digit 0-6, five
# more digits. The date makes other 12-digit numbers (a БИН's 5th digit is 4-6, so its
# "day" is 40-69; ids and timestamps that start with a year) not look like one. Typed in
# groups (900101 300 123, 900101-300123, 9001 0130 0123, 900 101 300 123), it may have a
# space or a dash after its 3rd, 4th, 6th, 8th or 9th digit and nowhere else, so that an id
# followed by a date ("B-2017-000120 2017-04-10") does not read as one.
IIN = (f"[0-9][0-9](0{_SEP}[1-9]|1{_SEP}[0-2]){_SEP}(0[1-9]|[12][0-9]|3[01]){_SEP}"
       f"[0-6][0-9]{_SEP}[0-9]{_SEP}[0-9][0-9][0-9]")
# A Kazakh (or Russian) phone: +7, 7 or 8, then ten digits with spaces, brackets or dashes
# (+7 701 555 12 34, 8 (701) 555-12-34, 77015551234).
PHONE = r"(\+7|[78])([ ()-]*[0-9]){10}"
# An e-mail address, in Latin or Cyrillic (Kazakh) letters: ivanova@mail.kz, айгерим@почта.қаз.
_LETTER = "A-Za-zА-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі"
EMAIL = f"[{_LETTER}0-9._%+-]+@[{_LETTER}0-9.-]+\\.[{_LETTER}]{{2,}}"


def _bounded_sql(pattern: str) -> str:
    return f"(^|[^0-9])({pattern})([^0-9]|$)"


# For DuckDB's regexp_matches: any person-shaped value; and what an institution never
# publishes about itself (its phone it does: `Table.institutional`).
PERSONAL_VALUE = "|".join([_bounded_sql(IIN), EMAIL, _bounded_sql(PHONE)])
NOT_INSTITUTIONAL_VALUE = "|".join([_bounded_sql(IIN), EMAIL])
# Free text checked value by value (besides the columns the format does not know), with the
# pattern that says what is personal in it. A kindergarten's register is about institutions:
# its phone numbers are theirs; an ИИН or an e-mail (the format has no e-mail column) is not.
FREE_TEXT = {
    "events": {"reason": PERSONAL_VALUE},
    "groups": {"name": PERSONAL_VALUE, "program": PERSONAL_VALUE},
    "choices": {"group_type": PERSONAL_VALUE},
    "kindergartens": {c: NOT_INSTITUTIONAL_VALUE for c in ("name_kk", "name_ru", "district", "address", "phone", "website")},
}
# Columns that are keys or places: a person-shaped value there is bad input, not free text.
PLACES = {"applications": ("region", "locality"), "kindergartens": ("region", "locality")}


def looks_personal_sql(column_sql: str, pattern: str = PERSONAL_VALUE) -> str:
    return f"coalesce(regexp_matches(CAST({column_sql} AS VARCHAR), '{pattern}'), false)"


# The ids the register gives institutions, groups and bulletins, published as they are: an
# ИИН (a sole proprietor's kindergarten keyed by its owner's ИИН) or an e-mail there is refused.
IDENTIFIERS = {"kindergartens": ("kindergarten_id",), "groups": ("group_id",), "vacancies": ("bulletin_id",),
               "positions": ("queue_id", "kindergarten_id"), "choices": ("kindergarten_id",)}


def is_person_id_sql(column_sql: str) -> str:
    """The whole value is an ИИН (spaces and dashes aside) or an e-mail address."""
    return f"({is_iin_sql(column_sql)} OR coalesce(regexp_full_match(trim({column_sql}), '{EMAIL}'), false))"


def is_iin_sql(column_sql: str) -> str:
    """The whole value is an ИИН, once spaces and dashes are taken out."""
    return f"coalesce(regexp_full_match(regexp_replace({column_sql}, '[\\s-]', '', 'g'), '{IIN}'), false)"


# The same patterns for Python, bounded with lookarounds so that matches next to each other
# are all found; each keeps what says which value it was and masks the rest.
_MASKS = [
    (re.compile(f"(?<![0-9]){IIN}(?![0-9])"), 4, 2),    # 900101300123 → 9001******23
    (re.compile(f"(?<![0-9]){PHONE}(?![0-9])"), 4, 2),  # +7 701 555 12 34 → +7 701 *** ** 34
]
_EMAIL = re.compile(EMAIL)


def _mask_digits(text: str, head: int, tail: int) -> str:
    total = sum(c.isdigit() for c in text)
    out, seen = [], 0
    for c in text:
        if c.isdigit():
            seen += 1
            if head < seen <= total - tail:
                c = "*"
        out.append(c)
    return "".join(out)


def looks_personal(text: str) -> bool:
    """Python's reading of PERSONAL_VALUE."""
    return any(pattern.search(text) for pattern, _, _ in _MASKS) or bool(_EMAIL.search(text))


def mask(text: str) -> str:
    """`text` with every person-shaped value masked: for messages that go to logs."""
    for pattern, head, tail in _MASKS:
        text = pattern.sub(lambda m: _mask_digits(m.group(0), head, tail), text)
    return _EMAIL.sub(lambda m: m.group(0)[0] + "***@" + m.group(0).split("@", 1)[1], text)
