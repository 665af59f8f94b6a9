"""Streamlit's own words in the visitor's language.

Streamlit's frontend writes its labels in English (the data grid's toolbar, "Help for …",
"Link to heading", "Skip to main content", a select box's "Choose an option") and offers
no way to translate them. A Kazakh or Russian parent, or their screen reader, should not
meet them: a small script, sent once per run, rewrites those texts and attributes as they
appear, from the catalogs (`chrome.*` keys). What has no word to say — the hints under a
text box ("Press Enter to submit form", the character counter) — is hidden: the button
beside it says what to do.
"""

from __future__ import annotations

import json

import streamlit as st

from i18n import N_, t

# Streamlit's English (exact texts, as its frontend writes them) → the catalog key.
EXACT = {
    "Skip to main content": N_("chrome.skip"),
    "Link to heading": N_("chrome.heading_link"),
    "Choose an option": N_("chrome.choose"),
    "No results": N_("chrome.no_results"),
    "Open": N_("chrome.open"),
    "Close": N_("chrome.close"),
    "Increment": N_("chrome.increment"),
    "Decrement": N_("chrome.decrement"),
    "Main menu": N_("chrome.menu"),
    "Download as CSV": N_("chrome.grid_download"),
    "Search": N_("chrome.grid_search"),
    "Fullscreen": N_("chrome.fullscreen"),
    "Close fullscreen": N_("chrome.fullscreen_close"),
    "Show/hide columns": N_("chrome.grid_columns"),
    "Copy to clipboard": N_("chrome.copy"),
    "Running...": N_("chrome.running"),
    # the main menu (⋮): the colour theme, printing, recording the screen
    "Theme": N_("chrome.theme"),
    "System": N_("chrome.theme_system"),
    "Light": N_("chrome.theme_light"),
    "Dark": N_("chrome.theme_dark"),
    "Print": N_("chrome.print"),
    "Record screen": N_("chrome.record"),
    "Copy version to clipboard": N_("chrome.copy_version"),
    "Copied": N_("chrome.copied"),
}
# A data grid's check-box cells, as its table for screen readers writes them.
CELLS = {"true": N_("chrome.yes"), "false": N_("chrome.no")}
# Labels Streamlit builds around one of ours: "Help for Region" → the catalog's words.
PREFIXED = {"Help for ": N_("chrome.help_for"), "Made with ": N_("chrome.made_with")}

SCRIPT = """<script>
(() => {
  window.kezekChrome = {exact: %(exact)s, prefixed: %(prefixed)s, cells: %(cells)s};  // this run's language
  if (window.kezekChromeApply) { window.kezekChromeApply(document.body); return; }
  const ATTRS = ['aria-label', 'title', 'placeholder'];
  const english = new WeakMap();  // text node → Streamlit's English, to say it again in another language
  const said = (text, cell) => {
    const words = window.kezekChrome;
    if (cell && Object.hasOwn(words.cells, text)) return words.cells[text];
    if (Object.hasOwn(words.exact, text)) return words.exact[text];
    for (const [start, form] of Object.entries(words.prefixed))
      if (text.startsWith(start)) return form.replace('{label}', text.slice(start.length));
    return null;
  };
  const apply = (root) => {
    if (!root || root.nodeType !== 1) return;
    for (const el of [root, ...root.querySelectorAll('*')]) {
      for (const a of ATTRS) {
        const v = el.getAttribute(a);
        if (!v) continue;
        const kept = el.getAttribute('data-kezek-' + a);
        const original = kept !== null && v === el.getAttribute('data-kezek-said-' + a) ? kept : v.trim();
        const w = said(original);
        if (w === null || w === v) continue;
        el.setAttribute('data-kezek-' + a, original);
        el.setAttribute('data-kezek-said-' + a, w);
        el.setAttribute(a, w);
      }
      const cell = el.closest('[role="gridcell"]') !== null;
      for (const n of el.childNodes) {
        if (n.nodeType !== 3) continue;
        const text = n.textContent.trim(), known = english.get(n);
        const original = known && text === known[1] ? known[0] : text;
        const w = said(original, cell);
        if (w === null || w === text) continue;
        english.set(n, [original, w]);
        n.textContent = w;
      }
    }
  };
  window.kezekChromeApply = apply;
  new MutationObserver((changes) => {
    for (const c of changes) {
      if (c.type === 'characterData') apply(c.target.parentElement);
      else if (c.type === 'attributes') apply(c.target);
      else c.addedNodes.forEach((n) => apply(n.nodeType === 3 ? n.parentElement : n));
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true,
                             attributes: true, attributeFilter: ATTRS});
  apply(document.body);
})();
</script>"""

# The hints under a text box; the element itself stays, for Streamlit's layout.
HIDDEN_CSS = """<style>
[data-testid="InputInstructions"] { display: none !important; }
</style>"""


def words(lang: str) -> dict[str, dict[str, str]]:
    """Streamlit's English → this language's words: exact texts, grid cells, prefixed labels."""
    return {"exact": {english: t(key, lang) for english, key in EXACT.items()},
            "cells": {english: t(key, lang) for english, key in CELLS.items()},
            "prefixed": {start: t(key, lang, label="{label}") for start, key in PREFIXED.items()}}


def translate(lang: str) -> None:
    """Send the script that puts Streamlit's words in `lang` (in English: its own words again)."""
    st.html(HIDDEN_CSS)
    st.html(SCRIPT % {part: json.dumps(said, ensure_ascii=False) for part, said in words(lang).items()},
            unsafe_allow_javascript=True)
