"""Small counts that would single out children with a sensitive attribute.

A count of fewer than SMALL children in a cell that carries a sensitive attribute is
published as "<5" — in the exports, the API and the dashboard alike, all through the SQL
below. The sensitive cells Kezek publishes are the children enrolled in a group whose
programme is for special educational needs (correction, speech therapy, inclusive,
sanatorium groups): three children in a speech-therapy group of a named kindergarten are
nearly identifiable. The privilege category (the ground of a privilege, among them special
needs) is never published at all, not even counted (engine/resources.py, WITHHELD)."""

from __future__ import annotations

SMALL = 5
SUPPRESSED = "<5"

# Programmes for special educational needs, in Russian, Kazakh and English.
SENSITIVE_PROGRAMME = (
    r"(коррекц|логопед|дефектолог|инклюзи|специальн|санатор|оздоровит|особ[а-я]* образовательн"
    r"|түзету|логопедиялық|арнайы|инклюзив|ерекше білім|correction|speech|special|inclusive|sanatorium)"
)


def enrolled_sql(enrolled: str = "enrolled", program: str = "program") -> str:
    """The published `enrolled` of a group, as text: "<5" for a small sensitive cell."""
    return (f"CASE WHEN {enrolled} < {SMALL} AND regexp_matches(lower(coalesce({program}, '')), "
            f"'{SENSITIVE_PROGRAMME}') THEN '{SUPPRESSED}' ELSE CAST({enrolled} AS VARCHAR) END")
