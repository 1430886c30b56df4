"""pa11y with the HTML_CodeSniffer runner finds no errors on every page an anonymous visitor and the
co-ordinator reach by links (the same pages the walk in test_every_page.py checks with axe-core).

pa11y comes from npm (package.json) and drives Debian's chromium; scripts/pa11y.sh runs this alone.
"""

import json
import subprocess
from pathlib import Path

import pytest

from pcc_dashboard.tests.browser.conftest import ANONYMOUS, CHROMIUM, ROOT

pytestmark = pytest.mark.browser

PA11Y_ROLES = (ANONYMOUS, "coordinator")


@pytest.mark.parametrize("role", PA11Y_ROLES)
def test_pa11y_finds_no_errors_on_every_page(site, walks, _role_states, role, tmp_path):
    if not (ROOT / "node_modules" / "pa11y").exists():
        pytest.fail("pa11y is not installed: run npm ci (make install)")
    cookie = ""
    if role != ANONYMOUS:
        state = json.loads(Path(_role_states(role)).read_text(encoding="utf-8"))
        cookie = "; ".join(f"{c['name']}={c['value']}" for c in state["cookies"])
    pages = tmp_path / "pages.json"
    pages.write_text(json.dumps([{"url": site.url(path), "cookie": cookie} for path in walks(role).pages]))
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        ["node", "scripts/pa11y.mjs", str(pages)],  # noqa: S607 - node from PATH, as npm is
        cwd=ROOT,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "PCC_CHROMIUM": CHROMIUM, "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert result.returncode == 0, f"pa11y as {role}:\n{result.stdout}\n{result.stderr}"
