"""Problems found in an input: what, where (file, row, column), what was expected."""

from __future__ import annotations

from dataclasses import dataclass

from ingest.privacy import mask

SHOWN = 20  # interfaces.md: the first 20 problems, then a count


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    row: int | None
    column: str | None
    message: str

    def __post_init__(self) -> None:
        # A message quotes the value it is about, and problem lines go to stderr, the
        # journal and cron.log: a person-shaped value is masked where every problem passes.
        object.__setattr__(self, "message", mask(self.message))
        if isinstance(self.column, str):
            object.__setattr__(self, "column", mask(self.column))

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}"


class BadInput(Exception):
    """The input breaks the format; nothing is published. Exit status 2."""

    def __init__(self, problems: list[Problem], total: int | None = None):
        self.problems = problems
        self.total = total if total is not None else len(problems)
        super().__init__(self.report())

    def report(self) -> str:
        lines = [str(p) for p in self.problems[:SHOWN]]
        if self.total > SHOWN:
            lines.append(f"… and {self.total - SHOWN} more problems")
        return "\n".join(lines)
