"""Problems found in an input: what, where (file, rows, column), what was expected.

A problem carries its English `message` (for logs and library callers) and, where the clerk
should read it in their language, a catalog `key` with its `values` (kezek/messages.py
renders it in kk, ru or en). The same problem on many rows is one Problem: `row` is its first
row, `rows` the ranges of rows it is on (the first few), `count` how many rows in all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.privacy import looks_personal, mask

SHOWN = 20  # lines of problems printed; the rest are counted (and listed in the CSV report)
RANGES_KEPT = 1000  # ranges of rows kept per problem: the CSV report lists them; more are counted
PERSONAL_COLUMNS = ("birth_date",)  # a value quoted from it is a child's: never copied into a file


def _masked(value):
    return mask(value) if isinstance(value, str) else value


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    row: int | None
    column: str | None
    message: str
    key: str = field(default="", compare=False)  # catalog key problem.<key>; "" = English only
    values: tuple = field(default=(), compare=False)  # (name, value) pairs for the catalog text
    header: str | None = field(default=None, compare=False)  # the column's header as the file writes it
    rows: tuple = field(default=(), compare=False)  # ((first, last), …): the rows, as ranges
    count: int = field(default=1, compare=False)  # rows with this problem
    personal: bool = field(default=False, compare=False)  # it quotes a person's value: the CSV report leaves it out

    def __post_init__(self) -> None:
        personal = self.column in PERSONAL_COLUMNS or looks_personal(self.message) or any(
            isinstance(v, str) and looks_personal(v) for _, v in self.values)
        object.__setattr__(self, "personal", self.personal or personal)
        # A message quotes the value it is about, and problem lines go to stderr, the
        # journal and cron.log: a person-shaped value is masked where every problem passes.
        object.__setattr__(self, "message", mask(self.message))
        object.__setattr__(self, "column", _masked(self.column))
        object.__setattr__(self, "header", _masked(self.header))
        object.__setattr__(self, "values", tuple((k, _masked(v)) for k, v in self.values))
        if not self.rows and self.row is not None:
            object.__setattr__(self, "rows", ((self.row, self.row),))

    @property
    def params(self) -> dict:
        return dict(self.values)

    def __str__(self) -> str:
        where = [self.file]
        if self.count > 1:
            where.append(f"{self.count} rows ({ranges_text(self.rows, self.count)})")
        elif self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}"


def ranges_text(rows: tuple, count: int, shown: int | None = 5) -> str:
    """Rows as ranges, the first few: `12–15, 20, 31–55, …`.

    >>> ranges_text(((12, 15), (20, 20), (31, 55)), 30)
    '12–15, 20, 31–55'
    >>> ranges_text(tuple((i, i) for i in range(2, 40, 2)), 19, shown=3)
    '2, 4, 6, …'
    """
    listed = rows if shown is None else rows[:shown]
    text = ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in listed)
    covered = sum(b - a + 1 for a, b in listed)
    return text + (", …" if covered < count else "")


@dataclass(frozen=True)
class Notice:
    """Something the clerk should know that is no problem: a file ignored, the header row
    found under a title, a dataset.json that says too little, a warning of what was published
    all the same. `message` in English (logs). A count `n` among the values picks the plural
    form of the catalog text."""

    file: str  # "" when it is about no one file (the publication)
    key: str  # catalog key notice.<key>
    message: str
    values: tuple = ()

    @property
    def params(self) -> dict:
        return dict(self.values)

    def __str__(self) -> str:
        return f"{self.file}: {self.message}" if self.file else self.message


class BadInput(Exception):
    """The input breaks the format; nothing is published. Exit status 2."""

    def __init__(self, problems: list[Problem], total: int | None = None, notices: list[Notice] | None = None):
        self.problems = problems
        self.total = total if total is not None else len(problems)
        self.notices = list(notices or [])
        super().__init__(self.report())

    def report(self) -> str:
        lines = [str(p) for p in self.problems[:SHOWN]]
        if self.total > SHOWN:
            lines.append(f"… and {self.total - SHOWN} more problems")
        return "\n".join(lines)
