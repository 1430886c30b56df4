"""Test helper for the PDF copies: what their last page says, wherever the last page break falls."""

import io
import re

from reports.pdf import html_to_pdf, page_fill

# The running footer (bottom-left and bottom-right page margin boxes of the report templates).
FOOTER = re.compile(r"Data as at \d{1,2} \w+ \d{4} · (statement )?digest [0-9a-f]{16}|Page \d+ of \d+")
TEXT_AREA_MM = 297 - 15 - 18  # A4 less the top and bottom margins of static/css/print.css


def last_page_remainders(html: str, *, closing: list[str]) -> dict[int, str]:
    """{height in mm: what the last page says besides its footer and the `closing` lines}.

    Input: a report page rendered for paper; `closing`, the sentences that end it (licence, earlier
    quarters). A blank block is pushed in before the page's last <h3>, of heights around the space
    left free at the foot of the last page (from 2 mm less to 16 mm more), so that the end of the
    report runs over on to a new page a little at a time. An empty remainder means a last page with
    nothing of the report on it: only closing lines, or only the footer.
    """
    from pypdf import PdfReader

    free = round((1 - page_fill(html)[-1]) * TEXT_AREA_MM)
    at = html.rindex("<h3")
    out = {}
    for height in range(max(0, free - 2), free + 17, 2):
        pdf = html_to_pdf(f'{html[:at]}<div style="height: {height}mm"></div>{html[at:]}')
        text = " ".join(PdfReader(io.BytesIO(pdf)).pages[-1].extract_text().split())
        for words in closing:
            text = text.replace(words, " ")
        out[height] = " ".join(FOOTER.sub(" ", text).split())
    return out


def text_past_right_margin(html: str) -> list[tuple[int, float, str]]:
    """Each line of text of the PDF of `html` that runs into the page's right margin:
    [(page number from 1, its right edge in points, its first words)]; [] when all text fits.

    Read from WeasyPrint's layout (CSS px, 0.75 pt each); the margin boxes (running footer) are
    not counted, only the page's own content.
    """
    from reports.pdf import laid_out

    out = []
    for number, page in enumerate(laid_out(html).pages, start=1):
        root = page._page_box
        right = root.content_box_x() + root.width
        for box in root.children[0].descendants():
            if type(box).__name__ == "TextBox" and box.position_x + box.width > right + 0.5:
                out.append((number, round((box.position_x + box.width) * 0.75, 1), box.text[:40]))
    return out
