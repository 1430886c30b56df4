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
# Pages every visitor sees alike, whoever is signed in (the public page is always the anonymous view).
SAME_FOR_EVERYONE = {"public/", "accessibility/"}
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


def crawl(request, base_url: str, covered: set | None = None) -> Walk:
    """Breadth-first from "/" with `request` (a Playwright APIRequestContext holding the role's cookies).

    A link is followed when its URL pattern is new, or when its pattern shows charts and the page
    adds a chart kind not yet seen on that pattern. Links answering other than 200 are problems.
    `covered`, shared by the roles' crawls and added to here, holds what an earlier role's walk
    kept that looks alike to every role: (pattern, chart kind) pairs, and (pattern, "") for the
    patterns in SAME_FOR_EVERYONE. Such a page is followed for its links but not kept again, and a
    later role fetches only one page of a pattern whose chart kinds were looked for already.
    """
    covered = set() if covered is None else covered
    # Patterns whose chart kinds an earlier role's walk went looking for: one page of each will do.
    charted_before = {route for route, kind in covered if kind}
    walk = Walk()
    routes_seen: set[str] = set()
    charts_seen: set[tuple[str, str]] = set()
    chart_routes: set[str] = set()
    queue, fetched = ["/"], set()
    while queue and len(walk.pages) < MAX_PAGES:
        path = queue.pop(0)
        route = route_of(path)
        looked = route in routes_seen and (route not in chart_routes or route in charted_before)
        if path in fetched or route is None or looked:
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
        first, extra = route not in routes_seen, new_charts - covered
        if not first and not extra:
            continue
        if parser.charts:
            chart_routes.add(route)
        routes_seen.add(route)
        charts_seen |= new_charts
        if extra or (first and (route, "") not in covered):
            reason = route + (f" (charts: {', '.join(sorted(k for _, k in extra))})" if extra else "")
            walk.pages.setdefault(final_path, reason)
            covered |= extra | ({(route, "")} if route in SAME_FOR_EVERYONE else set())
        for href in parser.hrefs:
            url = urldefrag(urljoin(base_url + final_path, href)).url
            if not url.startswith(base_url + "/"):
                continue
            link = url[len(base_url) :]
            if link.startswith(SKIP_PREFIXES) or urlsplit(link).path.endswith(SKIP_SUFFIXES):
                continue
            queue.append(link)
    return walk
