"""The demo's Panel reports on paper, as `make run` leaves them: short, full pages, tagged, in words."""

import io
import re

import pytest
from django.core.management import call_command

from pcc_dashboard.roles import PANEL
from priorities.models import Theme
from reports.models import Meeting, Snapshot
from reports.pdf import page_fill
from returns.periods import previous_month_end

pypdf = pytest.importorskip("pypdf")

pytestmark = pytest.mark.django_db

DEMO_TO = "2015-03"  # the Makefile's
MAX_PAGES = 12
# Every page but the last is at least this full (share of its text area's height): no nearly blank page.
MIN_FILL = 0.4


@pytest.fixture
def demo(monkeypatch, tmp_path):
    from demo import builder as demo_module

    monkeypatch.setattr(demo_module, "USERS_FILE", tmp_path / "demo_users.txt")
    call_command("import_reference", verbosity=0)
    call_command("import_plan", "fixtures/plan_leicestershire_2014.yaml", verbosity=0)
    call_command("seed_demo", "--to", DEMO_TO, verbosity=0)
    frozen = set(Snapshot.objects.values_list("as_of", flat=True))
    meetings = Meeting.objects.filter(board__is_panel=True).order_by("-date")
    return next(m for m in meetings if previous_month_end(m.date) in frozen)


@pytest.fixture
def papers(demo, client_for, monkeypatch):
    """Each theme's PDF of the demo's latest Panel meeting with data: {theme number: (pdf, page fill)}."""
    import reports.views.panel as panel_view

    rendered = []
    original = panel_view.html_to_pdf
    monkeypatch.setattr(panel_view, "html_to_pdf", lambda html: rendered.append(html) or original(html))
    client = client_for(PANEL)
    out = {}
    for theme in Theme.objects.order_by("number"):
        Meeting.objects.filter(pk=demo.pk).update(theme_override=theme)
        response = client.get(f"/meetings/{demo.pk}/report.pdf")
        assert response.status_code == 200
        out[theme.number] = (pypdf.PdfReader(io.BytesIO(response.content)), page_fill(rendered[-1]))
    return out


def _figures(reader) -> list:
    """The tagged PDF's Figure structure elements."""
    found, stack = [], [reader.trailer["/Root"]["/StructTreeRoot"]]
    while stack:
        node = stack.pop().get_object()
        if isinstance(node, pypdf.generic.ArrayObject):
            stack.extend(node)
            continue
        if not isinstance(node, pypdf.generic.DictionaryObject):
            continue
        if node.get("/S") == "/Figure":
            found.append(node)
        if "/K" in node:
            stack.append(node["/K"])
    return found


def test_demo_theme_papers_are_short_full_tagged_and_in_words(papers):
    assert len(papers) == 4
    for number, (reader, fill) in papers.items():
        pages = [" ".join(page.extract_text().split()) for page in reader.pages]
        text = " ".join(pages)
        # At most about 12 pages for a theme, and no nearly blank page before the last.
        assert len(pages) <= MAX_PAGES, (number, len(pages))
        assert len(fill) == len(pages)
        assert all(share >= MIN_FILL for share in fill[:-1]), (number, fill)
        # The cover is page 1.
        assert "At a glance: the status of every measure" in pages[0], number
        # Words, not codes; no four-decimal figures.
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), (number, re.search(r".{20}\b[a-z]+_[a-z_]+\b.{20}", text))
        assert not re.search(r"\d\.\d{4}", text), (number, re.search(r".{30}\d\.\d{4}.{10}", text))
        # A table's caption is on the page of its table's first rows.
        for page in pages:
            for caption in re.finditer(r"Figures for the latest \d+ periods \([^)]*\)", page):
                assert re.match(r"\s*(Period|Rank)\b", page[caption.end() :]), (number, page[caption.end() - 80 :][:160])
        # Tagged PDF/UA that opens showing its title; every figure (chart, icon) has a text alternative.
        root = reader.trailer["/Root"]
        assert str(root["/MarkInfo"]["/Marked"]).lower() == "true"
        assert str(root["/ViewerPreferences"]["/DisplayDocTitle"]).lower() == "true"
        assert reader.metadata.title.startswith("Thematic report: ")
        figures = _figures(reader)
        charts = [f for f in figures if " Data as at " in str(f.get("/Alt", ""))]
        assert charts and all(str(f.get("/Alt", "")).strip() for f in figures), number
        # A chart's alternative is its title and, after it, its summary in words.
        for figure in charts:
            summary = re.split(r"Data as at \d{1,2} \w+ \d{4}\.", str(figure["/Alt"]), maxsplit=1)[-1]
            assert len(summary.split()) >= 5, (number, str(figure["/Alt"])[:200])
