"""PDF copies of report pages, rendered on the server from the same HTML with WeasyPrint."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders

# Only our own static files may be fetched while rendering: no network, no file system paths
# from the page (a stray URL in commentary must not make the server fetch it).
_STATIC_PREFIX = "/" + settings.STATIC_URL.strip("/") + "/"
# The screen stylesheet (GOV.UK Frontend, ~145 kB) is not fetched: it slows WeasyPrint ~10-fold and
# print.css alone lays out the paper copy.
PDF_FILES = {"css/print.css"}
_MIME = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png", ".woff2": "font/woff2"}


class FetchRefused(ValueError):
    pass


def static_file(url: str) -> tuple[bytes, str]:
    """The bytes and MIME type of a /static/… URL from the static file finders; refuse the rest."""
    parts = urlsplit(url)
    if parts.scheme not in ("", "http", "https") or not parts.path.startswith(_STATIC_PREFIX):
        raise FetchRefused(f"not fetched while rendering a PDF: {url}")
    relative = parts.path[len(_STATIC_PREFIX) :]
    found = finders.find(relative) if relative in PDF_FILES else None
    suffix = "." + relative.rsplit(".", 1)[-1] if "." in relative else ""
    if not found or suffix not in _MIME:
        raise FetchRefused(f"no static file for {url}")
    with open(found, "rb") as handle:
        return handle.read(), _MIME[suffix]


# PDF/UA-1 (ISO 14289-1): a tagged PDF (structure tree from the HTML: headings, lists, tables,
# figures with their alt text) that opens showing its <title> (DisplayDocTitle) in the page's
# <html lang>, for assistive technology (WCAG 2.2 AA, public sector accessibility regulations).
PDF_VARIANT = "pdf/ua-1"


def html_to_pdf(html: str) -> bytes:
    """A4 PDF/UA-1 of a rendered page (str of HTML with <title> and <html lang>) as bytes; its print
    stylesheet decides the layout and running footer. Raises FetchRefused for any URL but our own
    print stylesheet."""
    return laid_out(html).write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True)


def page_fill(html: str) -> list[float]:
    """For each page of the PDF of `html`, the share (0 to 1) of its text area's height that its
    content fills, from the top margin to the bottom of the lowest box (the running footer not counted)."""
    shares = []
    for page in laid_out(html).pages:
        root = page._page_box
        top = root.content_box_y()
        bottom = max(
            # The leaves (text, images, table cell rules): a box cut by a page break spans the page.
            (b.position_y + b.margin_height() for b in root.children[0].descendants() if not getattr(b, "children", ())),
            default=top,
        )
        shares.append(round(min(1.0, (bottom - top) / root.height), 2))
    return shares


def laid_out(html: str):
    """The WeasyPrint document (pages laid out) of a rendered page, fetching only our print stylesheet."""
    # Imported here: heavy, and only the PDF download needs it.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            body, mime = static_file(url)
            return URLFetcherResponse(url, body=body, headers={"Content-Type": mime})

    page = HTML(string=html, base_url="http://pdf.invalid/", url_fetcher=StaticOnlyFetcher())
    return page.render(pdf_variant=PDF_VARIANT, pdf_tags=True)
