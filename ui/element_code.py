"""The browser code of the kinds of element the pages draw, loaded while a person signs in.

Streamlit's browser side fetches and compiles a kind of element's JavaScript (and the data
grid's stylesheet) the first time a session shows one: plotly held the first Overview after
signing in for more than a second and a half on a small machine, the data grid and the
widgets of Documents and Business rules more than half a second each. The sign-in page has
the browser import those files once the form's password field is there, one per idle moment,
so they are ready when the pages need them. The cost moves rather than goes: compiling plotly
keeps the browser busy about 1.4 s here, now soon after the form shows instead of after Sign
in (README, bench/pages, has the measurements). Hidden elements would load the code too, but
Streamlit holds a page back until every element on it has its code: the form showed 3.5 s
later. `tests/e2e/test_browser.py` checks that no page fetches element code after signing in.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import streamlit as st

# Streamlit's build names each file static/js/<Kind>.<hash>.js (and the data grid's stylesheet
# static/css/DataFrame.<hash>.css): the kinds the pages draw that the sign-in page does not,
# plotly first, as it takes longest. A Streamlit upgrade that renames one fails a unit test.
KINDS = (
    "PlotlyChart", "DataFrame", "Button", "ButtonGroup", "Checkbox", "Radio", "Selectbox",
    "Multiselect", "NumberInput", "DateInput", "TextArea", "FileUploader", "DownloadButton",
    "StreamlitSyntaxHighlighter", "Metric", "PageLink", "Progress", "Json", "Slider", "Toast",
    "LinkButton",
)  # fmt: skip
STYLED = ("DataFrame",)
BUILD = Path(st.__file__).parent / "static" / "static"

# Resolved against the app's own entry script (so a base URL path is kept); started once the
# form's password field is there (started with the page, they held the form back by up to
# 1.8 s), one file per idle moment so typing is answered between them, and not at all when the
# browser asks to save data. The flag says how it ended: `loaded`, or how many failed (a
# failure only means the page loads that code itself later).
_SCRIPT = """<script>
(() => {
  const entry = document.querySelector('script[type="module"][src*="/static/js/index."]');
  if (!entry || window.__superinsightElementCode || navigator.connection?.saveData) return;
  window.__superinsightElementCode = "waiting";
  const [scripts, styles] = FILES;
  const at = (file) => new URL(file, entry.src).href;
  const idle = () => new Promise((run) => (window.requestIdleCallback || setTimeout)(run, {timeout: 1000}));
  const load = async () => {
    for (const file of styles) {
      const link = Object.assign(document.createElement("link"), {rel: "stylesheet", href: at(file)});
      document.head.appendChild(link);
    }
    let failed = 0;
    for (const file of scripts) {
      await idle();
      try { await import(at(file)); } catch (error) { failed += 1; console.debug(error); }
    }
    window.__superinsightElementCode = failed ? `${failed} failed` : "loaded";
  };
  const formShown = () => document.querySelector('[data-testid="stForm"] input[type="password"]');
  const start = (tries) => (formShown() ? load() : tries > 0 && setTimeout(start, 100, tries - 1));
  start(600);
})();
</script>"""


@lru_cache(maxsize=1)
def code_files() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The installed Streamlit's files of those kinds, relative to its js folder: scripts, styles."""
    scripts = tuple(path.name for kind in KINDS for path in sorted((BUILD / "js").glob(f"{kind}.*.js")))
    styles = tuple(
        f"../css/{path.name}" for kind in STYLED for path in sorted((BUILD / "css").glob(f"{kind}.*.css"))
    )
    return scripts, styles


def load_element_code() -> None:
    st.html(_SCRIPT.replace("FILES", json.dumps(code_files())), unsafe_allow_javascript=True, width="content")
