"""The browser code of the kinds of element the pages draw, loaded while a person signs in.

Streamlit's browser side fetches and compiles a kind of element's JavaScript the first time
a session shows one: plotly took up to 2 s of the first Overview after signing in on a
small machine, the data grid and the widgets of Documents and Business rules more than half
a second each. The sign-in page has the browser import those files once the form is up and
the browser is idle, so they are ready when the pages need them (sign in → Overview went
from 2.6-2.8 s to 0.65-1.6 s after three seconds of typing). The cost moves rather than
goes: compiling plotly keeps the browser busy ~1.4 s on this machine, now soon after the form
shows instead of after Sign in. Hidden elements would load the code too, but Streamlit holds
a page back until every element on it has its code: the form showed 3.5 s later.
`tests/e2e/test_browser.py` checks that no page fetches element code after signing in.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import streamlit as st

# Streamlit's build names each file static/js/<Kind>.<hash>.js; the kinds the pages draw
# that the sign-in page does not. A Streamlit upgrade that renames one fails the unit test.
KINDS = (
    "PlotlyChart", "DataFrame", "Button", "ButtonGroup", "Checkbox", "Radio", "Selectbox",
    "Multiselect", "NumberInput", "DateInput", "TextArea", "FileUploader", "DownloadButton",
    "StreamlitSyntaxHighlighter", "Metric", "PageLink", "Progress",
)  # fmt: skip
BUILD = Path(st.__file__).parent / "static" / "static" / "js"

# Imported one after another, resolved against the app's own entry script (so a base URL
# path is kept), once the form's password field is there and the browser is idle (started
# with the page, they held the form back by up to 1.8 s); a failure only means the page
# loads that code itself later.
_SCRIPT = """<script>
(() => {
  const entry = document.querySelector('script[type="module"][src*="/static/js/index."]');
  if (!entry || window.__superinsightElementCode) return;
  window.__superinsightElementCode = "waiting";
  const files = FILES;
  const load = async () => {
    for (const file of files) {
      try { await import(new URL(file, entry.src).href); } catch (error) { console.debug(error); }
    }
    window.__superinsightElementCode = "loaded";
  };
  const idle = window.requestIdleCallback || ((run) => setTimeout(run, 300));
  const formShown = () => document.querySelector('[data-testid="stForm"] input[type="password"]');
  const start = () => (formShown() ? idle(load, {timeout: 1000}) : setTimeout(start, 100));
  start();
})();
</script>"""


@lru_cache(maxsize=1)
def code_files() -> tuple[str, ...]:
    """The installed Streamlit's file of each kind, e.g. `PlotlyChart.D9Z0_fxz.js`."""
    return tuple(path.name for kind in KINDS for path in BUILD.glob(f"{kind}.*.js"))


def load_element_code() -> None:
    st.html(_SCRIPT.replace("FILES", json.dumps(code_files())), unsafe_allow_javascript=True, width="content")
