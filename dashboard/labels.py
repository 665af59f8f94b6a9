"""Names of the canonical codes (status, privilege, ownership, language, finding type,
channel) for visitors.

The published tables hold the codes of the open-data format; these are the words the
portals use for them (open-data-format.md, "Column names in Russian and Kazakh").
"""

from __future__ import annotations

from i18n import N_, t

STATUS = {
    "queued": N_("status.queued"),
    "notified": N_("status.notified"),
    "referred": N_("status.referred"),
    "stop_list": N_("status.stop_list"),
    "inactive": N_("status.inactive"),
    "enrolled": N_("status.enrolled"),
    "withdrawn": N_("status.withdrawn"),
    "removed": N_("status.removed"),
    "aged_out": N_("status.aged_out"),
    "left": N_("status.left"),  # a series: gone from the published list
}
PRIVILEGE = {
    "none": N_("privilege.none"),
    "first": N_("privilege.first"),
    "extraordinary": N_("privilege.extraordinary"),
}
OWNERSHIP = {
    "state": N_("ownership.state"),
    "private_state_order": N_("ownership.private_state_order"),
    "private": N_("ownership.private"),
    "mini_centre": N_("ownership.mini_centre"),
}
LANGUAGE = {
    "kk": N_("teaching.kk"),
    "ru": N_("teaching.ru"),
    "en": N_("teaching.en"),
}
# The audit's finding types (queue-rules.md, F) and the channels out of queue order by design (A9).
FINDING_TYPE = {
    "out_of_order_offer": N_("finding.out_of_order_offer"),
    "referral_without_offer": N_("finding.referral_without_offer"),
    "early_free_choice": N_("finding.early_free_choice"),
    "blocked_recipient": N_("finding.blocked_recipient"),
    "underage": N_("finding.underage"),
    "unconfirmed_privilege": N_("finding.unconfirmed_privilege"),
    "overdue_referral": N_("finding.overdue_referral"),
    "missed_removal": N_("finding.missed_removal"),
    "ratio_breach": N_("finding.ratio_breach"),
    "overbooked_bulletin": N_("finding.overbooked_bulletin"),
    "position_mismatch": N_("finding.position_mismatch"),
    "inconsistent_record": N_("finding.inconsistent_record"),
    "registration_changed": N_("finding.registration_changed"),
    "backdated_entry": N_("finding.backdated_entry"),
    "unexplained_jump": N_("finding.unexplained_jump"),
}
CHANNEL = {
    "priority": N_("channel.priority"),  # in queue order: a finding's evidence names it
    "staff_child": N_("channel.staff_child"),
    "free_choice": N_("channel.free_choice"),
    "private_state_order": N_("channel.private_state_order"),
}


# The simple orders a published queue is compared with where the rules are not known.
ORDER = {
    "application_time": N_("order.application_time"),
    "privilege_then_application_time": N_("order.privilege_then_application_time"),
    "privilege_then_age": N_("order.privilege_then_age"),
}


def _label(table: dict[str, str], code: str | None, lang: str) -> str:
    if code is None:
        return ""
    key = table.get(code)
    return t(key, lang) if key else code  # a code we have no word for is shown as is


def status(code: str | None, lang: str) -> str:
    return _label(STATUS, code, lang)


def privilege(code: str | None, lang: str) -> str:
    return _label(PRIVILEGE, code, lang)


def ownership(code: str | None, lang: str) -> str:
    return _label(OWNERSHIP, code, lang)


def language(code: str | None, lang: str) -> str:
    return _label(LANGUAGE, code, lang)


def languages(codes: str | None, lang: str) -> str:
    """'kk|ru' → 'қазақ, орыс' (the register's list of languages of instruction)."""
    return ", ".join(language(c.strip(), lang) for c in (codes or "").split("|") if c.strip())


def finding_type(code: str | None, lang: str) -> str:
    return _label(FINDING_TYPE, code, lang)


def channel(code: str | None, lang: str) -> str:
    return _label(CHANNEL, code, lang)


def order(code: str | None, lang: str) -> str:
    return _label(ORDER, code, lang)
