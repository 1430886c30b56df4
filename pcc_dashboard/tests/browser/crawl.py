"""Find the pages a role can reach: follow links from the home page, one page per URL pattern.

Used by the browser suite's walk over every page (test_every_page.py) and by pa11y
(test_pa11y.py, scripts/pa11y.sh).
"""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

from django.urls import Resolver404, resolve

# Not pages of this service: the Django admin, the JSON API, static files, signing out.
SKIP_PREFIXES = ("/admin/", "/api/", "/static/", "/accounts/sign-out/")
SKIP_SUFFIXES = (".csv", ".xlsx", ".pdf", ".json", ".yaml", ".zip")
# Bounds a crawl gone wrong (a link loop making new URL patterns); the demo has far fewer.
MAX_PAGES = 60


class _Links(HTMLParser):
    """The hrefs of <a> elements, except download links, and the chart kinds (ids of .app-chart)."""

    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []
        self.charts: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href") and "download" not in attrs:
            self.hrefs.append(attrs["href"])
        if "app-chart" in (attrs.get("class") or "").split() and (attrs.get("id") or "").startswith("chart-"):
            self.charts.add(chart_kind(attrs["id"]))


def chart_kind(dom_id: str) -> str:
    """'chart-trend-sp1-all_crime' → 'trend'; the outcome share chart keeps its two words."""
    name = dom_id.removeprefix("chart-")
    return "outcomes-share" if name.startswith("outcomes-share") else name.split("-", 1)[0]


def route_of(path: str) -> str | None:
    """The URL pattern a path resolves to (its route text), or None when it resolves to nothing."""
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    return match.route


@dataclass
class Walk:
    """Pages kept for one role: path → why it was kept (its pattern, and the chart kinds it adds)."""

    pages: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def crawl(request, base_url: str) -> Walk:
    """Breadth-first from "/" with `request` (a Playwright APIRequestContext holding the role's cookies).

    A link is followed when its URL pattern is new, or when its pattern shows charts and the page
    adds a chart kind not yet seen on that pattern. Links answering other than 200 are problems.
    """
    walk = Walk()
    routes_seen: set[str] = set()
    charts_seen: set[tuple[str, str]] = set()
    chart_routes: set[str] = set()
    queue, fetched = ["/"], set()
    while queue and len(walk.pages) < MAX_PAGES:
        path = queue.pop(0)
        route = route_of(path)
        if path in fetched or route is None or (route in routes_seen and route not in chart_routes):
            continue
        fetched.add(path)
        response = request.get(base_url + path)
        final = urlsplit(response.url)
        final_path = final.path + (f"?{final.query}" if final.query else "")
        if response.status != 200:
            walk.problems.append(f"{path}: link answers {response.status}")
            continue
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        route = route_of(final_path) or route
        parser = _Links()
        parser.feed(response.text())
        new_charts = {(route, kind) for kind in parser.charts} - charts_seen
        if route in routes_seen and not new_charts:
            continue
        if parser.charts:
            chart_routes.add(route)
        reason = route + (f" (charts: {', '.join(sorted(k for _, k in new_charts))})" if new_charts else "")
        routes_seen.add(route)
        charts_seen |= new_charts
        walk.pages.setdefault(final_path, reason)
        for href in parser.hrefs:
            url = urldefrag(urljoin(base_url + final_path, href)).url
            if not url.startswith(base_url + "/"):
                continue
            link = url[len(base_url) :]
            if link.startswith(SKIP_PREFIXES) or urlsplit(link).path.endswith(SKIP_SUFFIXES):
                continue
            queue.append(link)
    return walk
