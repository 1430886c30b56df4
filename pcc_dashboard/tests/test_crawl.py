"""Every page is reachable, and speaks people's words, for each role, on the data `make run` builds.

One module-scoped fixture runs the same commands as `make run`, in the same order (migrate,
import_reference, import_plan, seed_demo; see the Makefile), inside a transaction rolled back at
the end, so the rest of the suite starts from an empty database. The crawl signs in as each demo
user, starts at the home page and follows every same-site link and GET form breadth-first.

- Reachability (issue 12 item 4): every URL pattern a role may use (the access matrix in
  test_access_matrix.py, plus the role's own returns) is linked from a page that role sees;
  a parameterised pattern counts when any instance is linked. No link leads a role to an error.
- People's words (item 5): the visible text of every page and download reached holds no internal
  code: none of pcc_dashboard.vocabulary's codes, no measure code, no GSS code without its name.
"""

from __future__ import annotations

import csv
import io
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from unittest import mock
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, resolve

from pcc_dashboard.tests.test_access_matrix import MATRIX

ROOT = Path(__file__).resolve().parents[2]
PLAN_FILE = ROOT / "fixtures" / "plan_leicestershire_2014.yaml"
DEMO_TO = "2015-03"  # the Makefile's DEMO_TO

# Crawl role → the demo user seed_demo creates for it (None: not signed in).
USERS = {
    "anonymous": None,
    "csp_a": "csp-blaby",
    "police": "police",
    "panel": "panel",
    "pdg": "pdg",
    "coordinator": "coordinator",
    "staff": "admin",
}
# Patterns a role uses on its own objects, where the access matrix tests another submitter's.
OWN = {
    "csp_a": {"return_detail", "return_history", "return_template"},
    "police": {"return_detail", "return_history", "return_template"},
}
# Patterns reached by redirect or GET form rather than an address of their own.
REDIRECTS = {"snapshot_latest", "snapshot_select"}
# Patterns no link should lead to, and why.
NOT_LINKED = {
    "two_factor": "a step of signing in, shown only when two-factor sign-in is switched on",
    # The machine-readable API is found through its OpenAPI description, which the public page links.
    "api_snapshots": "API",
    "api_measures": "API",
    "api_series": "API",
    "api_msg": "API",
    "api_outcomes": "API",
}
# The CSP lead meets their validation report on the page that answers their upload (a POST).
NOT_LINKED_FOR = {"csp_a": {"return_failed_report"}}
SKIP_PREFIXES = ("/admin/", "/static/", "/accounts/sign-out/")
# At most this many addresses per URL pattern, and one per pattern, arguments (but the snapshot
# date) and query-string names: enough to see every measure, chart and kind of page once.
PER_PATTERN = 40
PER_PATTERN_LIMITS = {"panel_report_pdf": 1, "measure_download": 80, "return_original": 2}


def expected_patterns(role: str) -> set[str]:
    """The URL names this role may use: 200 in the access matrix, its own returns, redirects."""
    names = {name for name, (_, statuses) in MATRIX.items() if statuses[role] == 200}
    names |= OWN.get(role, set())
    names |= {name for name in REDIRECTS if name in MATRIX}
    if MATRIX["outcomes"][1][role] == 200:
        names.add("outcomes_latest")
    return names - set(NOT_LINKED) - NOT_LINKED_FOR.get(role, set())


class _Page(HTMLParser):
    """Links, GET forms (as the address their default values submit) and visible text of a page."""

    HIDDEN = {"script", "style", "template"}
    SPOKEN = ("aria-label", "title", "alt", "placeholder")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[str] = []
        self.text: list[str] = []
        self._hidden = 0
        self._form: dict | None = None
        self._select: str | None = None
        self._option: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in self.HIDDEN:
            self._hidden += 1
        self.text += [attrs[name] for name in self.SPOKEN if attrs.get(name)]
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form":
            method = (attrs.get("method") or "get").lower()
            self._form = {"action": attrs.get("action") or "", "fields": {}} if method == "get" else None
        elif self._form is not None and tag in ("input", "button") and attrs.get("name"):
            if attrs.get("type") not in ("checkbox", "radio", "submit") or "checked" in attrs:
                self._form["fields"].setdefault(attrs["name"], attrs.get("value") or "")
        elif self._form is not None and tag == "select":
            self._select = attrs.get("name")
        elif self._form is not None and tag == "option" and self._select:
            fields = self._form["fields"]
            if self._select not in fields or "selected" in attrs:
                fields[self._select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self._hidden -= 1
        elif tag == "select":
            self._select = None
        elif tag == "form" and self._form is not None:
            self.forms.append(self._form["action"] + "?" + urlencode(self._form["fields"]))
            self._form = None

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.text.append(data.strip())


@dataclass
class Visit:
    url: str
    name: str
    status: int
    text: str  # what a person reads: a page's visible text, a download's cells


@dataclass
class Crawl:
    role: str
    linked: set[str] = field(default_factory=set)  # URL names of every same-site address found
    visits: list[Visit] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)


def _url_name(path: str) -> str | None:
    try:
        return resolve(path).url_name
    except Resolver404:
        return None


def _visit_key(path: str, query: str) -> tuple:
    match = resolve(path)
    kwargs = tuple(sorted((k, v) for k, v in match.kwargs.items() if k != "as_of"))
    names = tuple(sorted({part.split("=")[0] for part in query.split("&") if part}))
    return match.url_name, kwargs, names


def _download_text(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "")
    if kind.startswith("text/csv"):
        return "\n".join(" ".join(row) for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    if "spreadsheetml" in kind:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
        cells = [str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
        return "\n".join(cells)
    return ""  # PDFs are the thematic report's own HTML, which the crawl reads as a page


def crawl(client: Client, role: str) -> Crawl:
    """Breadth-first from the home page: every same-site link and GET form, GET only."""
    result = Crawl(role)
    queue, seen, counts = deque(["/"]), set(), {}
    while queue:
        url = queue.popleft()
        parts = urlsplit(url)
        if parts.netloc or parts.scheme or parts.path.startswith(SKIP_PREFIXES) or parts.path in ("",):
            continue
        name = _url_name(parts.path)
        if name is None:
            result.broken.append(f"{url}: no such address")
            continue
        result.linked.add(name)
        key = _visit_key(parts.path, parts.query)
        address = parts.path + (f"?{parts.query}" if parts.query else "")
        if key in seen or address in seen or counts.get(name, 0) >= PER_PATTERN_LIMITS.get(name, PER_PATTERN):
            continue
        seen |= {key, address}
        counts[name] = counts.get(name, 0) + 1
        response = client.get(address)
        if response.status_code in (301, 302):
            queue.append(urljoin(address, response["Location"]))
            continue
        if response.status_code != 200:
            result.broken.append(f"{address} ({name}): {response.status_code}")
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            result.visits.append(Visit(address, name, 200, _download_text(response)))
            continue
        page = _Page()
        page.feed(response.content.decode())
        result.visits.append(Visit(address, name, 200, "\n".join(page.text)))
        for href in page.links + page.forms:
            if not href.startswith("#"):
                queue.append(urljoin(address, href.split("#")[0]))
    return result


FAILED_UPLOAD = (
    b"measure_code,area_code,period_start,period_end,value,numerator,denominator,respondents,comment\r\n"
    b"youth_first_time_entrants,E07000129,2015-01-01,2015-03-31,five,,,,\r\n"
)


@pytest.fixture(scope="module")
def crawls(django_db_setup, django_db_blocker, tmp_path_factory) -> dict[str, Crawl]:
    """`make run`'s set-up, a CSP lead's failed upload, then one crawl per role; all rolled back."""
    from django.contrib.auth.models import User

    users_file = tmp_path_factory.mktemp("demo") / "demo_users.txt"
    with django_db_blocker.unblock(), transaction.atomic(), mock.patch("priorities.demo.USERS_FILE", users_file):
        quiet = io.StringIO()
        call_command("migrate", "--noinput", verbosity=0)
        call_command("import_reference", stdout=quiet)
        call_command("import_plan", str(PLAN_FILE), stdout=quiet)
        call_command("seed_demo", "--to", DEMO_TO, stdout=quiet)
        uploader = Client()
        uploader.force_login(User.objects.get(username=USERS["csp_a"]))
        upload = io.BytesIO(FAILED_UPLOAD)
        upload.name = "blaby-q4.csv"
        answer = uploader.post(
            "/returns/upload/", {"submitter": "csp-blaby", "period": "2015-01-01:2015-03-31", "file": upload}
        )
        assert "validation report" in answer.content.decode(), "the failed upload was not recorded"
        results = {}
        for role, username in USERS.items():
            client = Client()
            if username:
                client.force_login(User.objects.get(username=username))
            results[role] = crawl(client, role)
        yield results
        transaction.set_rollback(True)


@pytest.mark.parametrize("role", USERS)
def test_every_page_a_role_may_use_is_linked_from_the_home_page(crawls, role):
    found = crawls[role]
    missing = sorted(expected_patterns(role) - found.linked)
    assert not missing, f"{role} cannot reach these pages by following links from the home page: {missing}"


@pytest.mark.parametrize("role", USERS)
def test_no_link_leads_a_role_to_an_error(crawls, role):
    assert not crawls[role].broken, f"{role} follows links to errors:\n" + "\n".join(crawls[role].broken)
