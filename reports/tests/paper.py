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
