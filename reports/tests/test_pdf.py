"""reports.pdf: the Panel report's PDF is tagged PDF/UA-1, opens showing its title, and fetches nothing else."""

import re
import zlib

import pytest

from reports.pdf import FetchRefused, html_to_pdf, static_file

PAGE = """<!DOCTYPE html><html lang="en-GB"><head><title>Thematic report, 9 June 2014</title></head>
<body><h1>Thematic report</h1><p>Burglary fell.</p>
<table><caption>Figures</caption><thead><tr><th scope="col">Month</th><th scope="col">Crimes</th></tr></thead>
<tbody><tr><td>May 2014</td><td>120</td></tr></tbody></table></body></html>"""


def _text(pdf: bytes) -> str:
    """The PDF's objects as text, with every Flate stream (object streams, XMP) inflated."""
    parts = [pdf.decode("latin-1")]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(match.group(1)).decode("latin-1"))
        except zlib.error:
            continue
    return "\n".join(parts)


@pytest.fixture(scope="module")
def pdf_text():
    return _text(html_to_pdf(PAGE))


def test_pdf_is_tagged_with_structure_for_headings_and_tables(pdf_text):
    assert "/StructTreeRoot" in pdf_text and re.search(r"/Marked\s+true", pdf_text)
    for tag in ("/H1", "/P", "/Table", "/Caption", "/TH", "/TD"):
        assert re.search(rf"/S\s*{tag}\b", pdf_text), tag


def test_pdf_opens_showing_its_title_in_its_language(pdf_text):
    assert re.search(r"/DisplayDocTitle\s+true", pdf_text)
    assert "Thematic report, 9 June 2014" in pdf_text
    assert re.search(r"/Lang\s*\(en-GB\)", pdf_text)


def test_pdf_declares_pdf_ua_1(pdf_text):
    assert re.search(r"pdfuaid:part(>|=\")1", pdf_text)


def test_pdf_fetches_nothing_but_the_print_stylesheet():
    with pytest.raises(FetchRefused):
        static_file("https://example.org/x.css")


def test_pdf_of_a_site_page_asks_only_for_the_print_stylesheet(monkeypatch):
    """Any page built on base.html and rendered for paper leaves out the screen stylesheet, so
    WeasyPrint is never refused a fetch (a refusal is logged on every download)."""
    from django.template.loader import render_to_string

    import reports.pdf

    asked = []

    def spy(url):
        asked.append(url)
        return static_file(url)

    monkeypatch.setattr(reports.pdf, "static_file", spy)
    html = render_to_string("404.html", {"pdf": True}).replace(
        "</head>", '<link rel="stylesheet" href="/static/css/print.css" media="print"></head>'
    )
    html_to_pdf(html)
    assert asked == ["http://pdf.invalid/static/css/print.css"]


def test_visually_hidden_text_leaves_no_mark_on_paper(caplog):
    """The cover table's caption is for screen readers only: on paper it was cut to a 1pt box whose
    sliver of "S" showed as a stray tick beside the table, because WeasyPrint ignored the clip."""
    from reports.pdf import laid_out

    html = PAGE.replace("</head>", '<link rel="stylesheet" href="/static/css/print.css"></head>').replace(
        "<caption>Figures</caption>", '<caption class="govuk-visually-hidden">Status of each measure</caption>'
    )
    with caplog.at_level("WARNING", logger="weasyprint"):
        page = laid_out(html).pages[0]._page_box
    assert not [r.getMessage() for r in caplog.records if "Ignored" in r.getMessage()]
    [caption] = [box for box in page.descendants() if getattr(box, "element_tag", None) == "caption"]
    assert caption.style["position"] == "absolute"
    assert tuple(caption.style["clip"]) == (0, 0, 0, 0)  # clipped to nothing


def test_paragraph_ending_a_priority_does_not_tie_it_to_the_next_section():
    """A priority's summary keeps with its heading, but the paragraph that ends it ("No Community
    Safety Partnership narrative…") may break: tied to the caveats after it, both moved to a new page."""
    from weasyprint.formatting_structure.boxes import BlockBox

    from reports.pdf import laid_out

    html = PAGE.replace("</head>", '<link rel="stylesheet" href="/static/css/print.css"></head>').replace(
        "<p>Burglary fell.</p>",
        '<section class="app-report-priority"><h2>SP11</h2><p class="govuk-body">Summary.</p>'
        '<h3>What partnerships report</h3><p class="govuk-body">No narrative.</p></section>',
    )
    page = laid_out(html).pages[0]._page_box
    paragraphs = [box for box in page.descendants() if box.element_tag == "p" and isinstance(box, BlockBox)]
    breaks = {
        "".join(b.text for b in p.descendants() if hasattr(b, "text")): p.style["break_after"] for p in paragraphs
    }
    assert breaks == {"Summary.": "avoid-page", "No narrative.": "auto"}
