"""Keyboard-only use (WCAG 2.1.1, 2.4.7): sign in with Tab, typing and Enter, with focus always visible."""


from pathlib import Path

import pytest

from pcc_dashboard.tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser

# The computed styles that can show focus; GOV.UK Frontend uses a yellow outline, box-shadow or background.
_FOCUS_STYLE = """() => {
  const el = document.activeElement;
  const s = getComputedStyle(el);
  return {id: el.id, tag: el.tagName, outlineStyle: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth),
          outlineColor: s.outlineColor, boxShadow: s.boxShadow, background: s.backgroundColor};
}"""


def tab_to(page, selector: str, limit: int = 40) -> dict:
    """Press Tab until `selector` has focus; return its computed style while focused."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(sel) => document.activeElement.matches(sel)", selector):
            return page.evaluate(_FOCUS_STYLE)
    raise AssertionError(f"{selector} never received focus after {limit} presses of Tab")


def unfocused_style(page, selector: str) -> dict:
    """The same element's style without focus (focus moved to the body, then restored by the caller)."""
    return page.evaluate(
        """(sel) => { const el = document.querySelector(sel); el.blur();
            const s = getComputedStyle(el);
            return {outlineStyle: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth),
                    outlineColor: s.outlineColor, boxShadow: s.boxShadow, background: s.backgroundColor}; }""",
        selector,
    )


def assert_focus_visible(focused: dict, unfocused: dict, what: str) -> None:
    has_outline = focused["outlineStyle"] != "none" and focused["outlineWidth"] >= 2
    changed = any(focused[key] != unfocused[key] for key in ("outlineColor", "boxShadow", "background"))
    assert has_outline or (changed and focused["boxShadow"] != "none") or changed, (
        f"focus on {what} is not visible: focused {focused}, unfocused {unfocused}"
    )
    assert changed or has_outline, f"focus on {what} looks the same as no focus: {focused}"


@pytest.mark.parametrize("field", ["#id_username", "#id_password", "main button[type=submit]"])
def test_focus_is_visible_on_sign_in_controls(page, site, field):
    page.goto(site.url("/accounts/sign-in/"))
    focused = tab_to(page, field)
    assert_focus_visible(focused, unfocused_style(page, field), field)


def test_keyboard_only_sign_in(page, site):
    page.goto(site.url("/accounts/sign-in/"))
    tab_to(page, "#id_username")
    page.keyboard.type(site.users["coordinator"]["username"])
    tab_to(page, "#id_password", limit=3)
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "Signed in as " + site.users["coordinator"]["username"] in page.inner_text(".govuk-phase-banner")


def test_skip_link_is_first_and_moves_to_main_content(page, site):
    page.goto(site.url("/"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    assert page.evaluate("getComputedStyle(document.activeElement).clip") != "rect(0px, 0px, 0px, 0px)"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main-content"


def test_keyboard_only_upload_preview_accept(page, site):
    """Sign in, upload a return, read the preview and accept it using only the keyboard.

    Choosing the file is the operating system's dialog, which a headless browser cannot open, so the
    test hands the file to the file input; every other step is Tab, typing and Enter.
    """
    from pcc_dashboard.tests.browser.test_journey import NEXT_QUARTER, filled

    code = site.users["csp_submitter"]["submitter"]
    start, end = NEXT_QUARTER
    test_keyboard_only_sign_in(page, site)
    page.goto(site.url(f"/returns/{code}/{start}/{end}/"))
    tab_to(page, "a[href$='template.csv']")
    with page.expect_download() as download_info:
        page.keyboard.press("Enter")
    template = Path(download_info.value.path()).read_text(encoding="utf-8")
    page.goto(site.url(f"/returns/{code}/{start}/{end}/"))
    tab_to(page, "a[href*='/returns/upload/']")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    page.set_input_files(
        "input[type=file]", files=[{"name": "k.csv", "mimeType": "text/csv", "buffer": filled(template, count="9")}]
    )
    unfocused = unfocused_style(page, "main button[type=submit]")
    assert_focus_visible(tab_to(page, "main button[type=submit]"), unfocused, "upload button")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=What this version changes", timeout=60000)
    accept = "main form[action$='/accept/'] button"
    unfocused = unfocused_style(page, accept)
    assert_focus_visible(tab_to(page, accept, limit=120), unfocused, "accept button")
    page.keyboard.press("Enter")
    # Other tests may have sent versions of the same return already: any version number will do.
    page.wait_for_selector("text=/Version \\d+ accepted/", timeout=60000)
