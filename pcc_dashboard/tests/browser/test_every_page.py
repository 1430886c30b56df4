"""Every page each role can reach by following links from the home page, checked in one walk.

For each role (and an anonymous visitor) the walk crawls links from "/" over HTTP, keeps one page
per URL pattern (plus one page for each kind of chart a pattern shows), then opens each page:

- at 320 × 640 CSS px (WCAG 1.4.10 reflow): the document never scrolls sideways; whatever scrolls
  sideways inside it is a focusable (tabindex="0"), labelled region whose table keeps its caption and
  the first cell of each row in view at either end of the scroll; every chart's text lies
  inside its SVG and its legend clears its axes; each focusable element shows the GOV.UK yellow-and-black focus pair (with every
  <details> opened);
- at 1280 × 800: every chart's text still lies inside its SVG, the focus pair shows on what is
  visible at that width, axe-core (WCAG 2.2 AA and best-practice) finds nothing on the page as it
  loads, and with WCAG 1.4.12's text spacing no text is cut off.

All problems of a role are reported together, page by page.
"""

import pytest

from pcc_dashboard.tests.browser.conftest import AXE_TAGS, WALKERS, new_context

pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 640}
WIDE = {"width": 1280, "height": 800}
# Open every closed <details> so the tables in them are laid out and measured too, and close them
# again (axe skips hidden content, and runs many times slower over hundreds of open table rows).
_OPEN_DETAILS = """() => document.querySelectorAll('details:not([open])').forEach(d => {
  d.open = true; d.setAttribute('data-walk-opened', ''); })"""
_CLOSE_DETAILS = """() => document.querySelectorAll('details[data-walk-opened]').forEach(d => {
  d.open = false; d.removeAttribute('data-walk-opened'); })"""

_PAGE_WIDTH = "() => document.documentElement.scrollWidth"

# For a failure message: the innermost elements that stick out past the window's right edge.
_STICKING_OUT = """(width) => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > width + 1
    && ![...el.children].some(c => c.getBoundingClientRect().right > width + 1))
  .slice(0, 5).map(el => el.tagName.toLowerCase() + '.' + el.className + ': "'
    + (el.textContent || '').trim().slice(0, 40) + '"')"""

# Whatever scrolls sideways inside the page, and every table, must sit in a region that takes
# keyboard focus and has a name.
_UNLABELLED_SCROLLERS = """() => {
  const ok = el => el.getAttribute('tabindex') === '0'
    && (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby'))
    && el.getAttribute('role') === 'region';
  const name = el => el.tagName.toLowerCase() + '.' + el.className + ': "'
    + (el.textContent || '').trim().slice(0, 50) + '"';
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const s = getComputedStyle(el);
    if (!['auto', 'scroll'].includes(s.overflowX)) continue;
    if (el.scrollWidth > el.clientWidth + 1 && !ok(el)) out.push('scrolls sideways but is not a focusable, labelled region: ' + name(el));
  }
  for (const table of document.querySelectorAll('main table')) {
    const wrap = table.parentElement.closest('.app-table-wrap');
    if (!wrap || !ok(wrap)) out.push('table outside a focusable, labelled region: ' + name(table.caption || table));
  }
  return out;
}"""

# Each scrolling table, scrolled to its left end and then to its right end: its caption's text and the
# first cell of every row (the row's name) must lie inside the window and inside every box that clips
# them. A visually hidden caption (the region's label names that table) is left out.
TABLE_NAMES_OUT_OF_VIEW = """() => {
  const out = [];
  const name = el => '"' + el.textContent.trim().replace(/\\s+/g, ' ').slice(0, 50) + '"';
  const textBox = el => { const range = document.createRange(); range.selectNodeContents(el); return range.getBoundingClientRect(); };
  const hidden = (r, el) => {
    if (r.left < -1 || r.right > window.innerWidth + 1) return 'outside the window';
    for (let up = el.parentElement; up; up = up.parentElement) {
      if (getComputedStyle(up).overflowX === 'visible') continue;
      const box = up.getBoundingClientRect(), left = box.left + up.clientLeft;
      if (r.left < left - 1 || r.right > left + up.clientWidth + 1) return 'cut off by ' + up.tagName.toLowerCase() + '.' + up.className;
    }
    return '';
  };
  for (const wrap of document.querySelectorAll('main .app-table-wrap')) {
    const table = wrap.querySelector('table');
    if (!table || !wrap.getClientRects().length) continue;
    for (const end of ['left', 'right']) {
      wrap.scrollLeft = end === 'left' ? 0 : wrap.scrollWidth;
      const caption = table.caption;
      if (caption && !caption.matches('[class*="visually-hidden"]')) {
        const why = hidden(textBox(caption), caption);
        if (why) out.push('caption ' + name(caption) + ' ' + why + ' (table scrolled to its ' + end + ')');
      }
      for (const row of table.rows) {
        const cell = row.cells[0];
        const why = cell && cell.textContent.trim() && hidden(textBox(cell), cell);
        if (why) { out.push('first column ' + name(cell) + ' ' + why + ' (table scrolled to its ' + end + ')'); break; }
      }
    }
    wrap.scrollLeft = 0;
  }
  return out;
}"""

# Text a chart draws that lies outside its SVG (axis titles, tick labels, legend, value labels).
_CHART_TEXT_OUTSIDE = """() => {
  const out = [];
  for (const chart of document.querySelectorAll('.app-chart')) {
    const svgs = chart.querySelectorAll('.js-plotly-plot svg.main-svg');
    if (!svgs.length) continue;
    const box = svgs[0].getBoundingClientRect();
    for (const svg of svgs) for (const text of svg.querySelectorAll('text')) {
      const r = text.getBoundingClientRect();
      if (!text.textContent.trim() || r.width === 0) continue;
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1) {
        out.push(chart.id + ': "' + text.textContent.trim() + '" at ' + [r.left - box.left, r.top - box.top,
          r.right - box.left, r.bottom - box.top].map(Math.round) + ' in ' + [box.width, box.height].map(Math.round));
      }
    }
  }
  return out;
}"""

# A chart's legend overlapping its axis titles or tick labels.
_LEGEND_OVERLAPS = """() => {
  const hit = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const out = [];
  for (const plot of document.querySelectorAll('.app-chart .js-plotly-plot')) {
    const legend = plot.querySelector('.legend .bg');
    if (!legend) continue;
    const l = legend.getBoundingClientRect();
    for (const text of plot.querySelectorAll('.xtitle, .ytitle, .xtick text, .ytick text')) {
      if (hit(l, text.getBoundingClientRect())) out.push(plot.closest('.app-chart').id + ': "' + text.textContent.trim() + '"');
    }
  }
  return out;
}"""


# Charts whose SVG is not yet the width of its container (plotly redraws after a resize).
_CHARTS_NOT_RESIZED = """() => [...document.querySelectorAll('.app-chart [data-chart-target]')].filter(t => {
  const svg = t.querySelector('svg.main-svg');
  return svg && Math.abs(svg.getBoundingClientRect().width - t.getBoundingClientRect().width) > 2;
}).length"""

# Focus each visible focusable element in turn and read how focus shows. GOV.UK's focus state is a
# yellow (#ffdd00) and black (#0b0c0c) pair: a yellow fill or ring with a black bar, ring or border,
# or a yellow fill behind black text. Checkboxes and radios draw it on their label's ::before.
_FOCUS_WITHOUT_PAIR = """() => {
  const YELLOW = 'rgb(255, 221, 0)', BLACK = 'rgb(11, 12, 12)';
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex="-1"])';
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.disabled || !el.getClientRects().length) continue;
    const boxed = el.matches('.govuk-checkboxes__input, .govuk-radios__input') && el.nextElementSibling;
    el.focus({preventScroll: true});
    if (document.activeElement !== el) continue;
    const s = boxed ? getComputedStyle(el.nextElementSibling, '::before') : getComputedStyle(el);
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0 ? s.outlineColor : '';
    const border = parseFloat(s.borderTopWidth) > 0 ? s.borderTopColor : '';
    const yellow = [outline, s.boxShadow, s.backgroundColor].some(v => v.includes(YELLOW));
    const black = [outline, s.boxShadow, border].some(v => v.includes(BLACK))
      || (s.backgroundColor === YELLOW && s.color === BLACK);
    if (!(yellow && black)) {
      out.push(el.tagName.toLowerCase() + '.' + el.className + ' "' + (el.textContent || el.name || '').trim().slice(0, 40)
        + '": outline ' + outline + ', shadow ' + s.boxShadow + ', background ' + s.backgroundColor);
    }
  }
  if (document.activeElement) document.activeElement.blur();
  return out;
}"""


# WCAG 1.4.12 text spacing: the four overrides the criterion names, applied to everything.
TEXT_SPACING = """* { line-height: 1.5 !important; letter-spacing: 0.12em !important;
  word-spacing: 0.16em !important; } p { margin-bottom: 2em !important; }"""

# With those overrides: text cut off by a box that hides its overflow, or a page that scrolls
# sideways. Visually hidden text (clipped to 1px on purpose, as the skip link is until it has focus)
# and the charts' SVG are left out.
_TEXT_CUT_OFF = """() => {
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (el.closest('svg, .js-plotly-plot, [class*="visually-hidden"]') || box.width <= 1 || box.height <= 1) continue;
    const s = getComputedStyle(el);
    if (![s.overflowX, s.overflowY].some(v => v === 'hidden' || v === 'clip') || !el.textContent.trim()) continue;
    if (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1) {
      out.push(el.tagName.toLowerCase() + '.' + el.className + ': "' + el.textContent.trim().slice(0, 40) + '"');
    }
  }
  if (document.documentElement.scrollWidth > window.innerWidth) out.push('the page scrolls sideways');
  return out;
}"""


def _wait_for_charts(tab) -> None:
    if tab.locator(".app-chart [data-chart-target]").count():
        tab.wait_for_selector(".app-chart[data-chart-figure]:not([data-chart-drawn])", state="detached", timeout=30000)


def _wait_for_resize(tab) -> None:
    for _ in range(40):
        if not tab.evaluate(_CHARTS_NOT_RESIZED):
            return
        tab.wait_for_timeout(100)


def check_page(tab, url: str) -> list[str]:
    """Every problem the walk finds on one page (an empty list when there are none)."""
    from axe_playwright_python.sync_playwright import Axe

    problems = []
    tab.set_viewport_size(NARROW)
    tab.goto(url)
    _wait_for_charts(tab)
    tab.evaluate(_OPEN_DETAILS)
    _wait_for_resize(tab)
    width = tab.evaluate(_PAGE_WIDTH)
    if width > NARROW["width"]:
        problems.append(f"at 320px the page is {width}px wide: {tab.evaluate(_STICKING_OUT, NARROW['width'])}")
    problems += [f"at 320px {p}" for p in tab.evaluate(_UNLABELLED_SCROLLERS)]
    problems += [f"at 320px {p}" for p in tab.evaluate(TABLE_NAMES_OUT_OF_VIEW)]
    problems += [f"at 320px chart text outside its chart: {p}" for p in tab.evaluate(_CHART_TEXT_OUTSIDE)]
    problems += [f"at 320px a chart's legend overlaps its axis text: {p}" for p in tab.evaluate(_LEGEND_OVERLAPS)]
    problems += [f"at 320px focus is not the GOV.UK pair on {p}" for p in tab.evaluate(_FOCUS_WITHOUT_PAIR)]
    tab.evaluate(_CLOSE_DETAILS)

    tab.set_viewport_size(WIDE)
    _wait_for_resize(tab)
    problems += [f"at 1280px chart text outside its chart: {p}" for p in tab.evaluate(_CHART_TEXT_OUTSIDE)]
    # The service navigation's links show only at this width.
    problems += [f"at 1280px focus is not the GOV.UK pair on {p}" for p in tab.evaluate(_FOCUS_WITHOUT_PAIR)]
    result = Axe().run(tab, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    if result.violations_count:
        problems.append("axe: " + result.generate_report())
    spacing = tab.add_style_tag(content=TEXT_SPACING)
    problems += [f"with WCAG text spacing, text cut off: {p}" for p in tab.evaluate(_TEXT_CUT_OFF)]
    spacing.evaluate("style => style.remove()")
    return problems


@pytest.mark.parametrize("role", WALKERS)
def test_every_page_reflows_keeps_chart_text_and_passes_axe(browser, site, _role_states, walks, role):
    walk = walks(role)
    assert len(walk.pages) >= 3, f"the crawl as {role} found only {walk.pages}"
    context = new_context(browser, site, _role_states, role)
    try:
        tab = context.new_page()
        problems = list(walk.problems)
        for path in walk.pages:
            problems += [f"{path}: {p}" for p in check_page(tab, site.url(path))]
    finally:
        context.close()
    assert not problems, f"As {role}, {len(problems)} problems on {len(walk.pages)} pages:\n" + "\n".join(problems)
