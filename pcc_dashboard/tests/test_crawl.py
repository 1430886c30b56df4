"""Every page is reachable, and speaks people's words, for each role, on the data `make run` builds.

One module-scoped fixture runs the same commands as `make run`, in the same order (migrate,
import_reference, import_plan, seed_demo; see the Makefile), inside a transaction rolled back at
the end, so the rest of the suite starts from an empty database. The crawl signs in as each demo
user, starts at the home page and follows every same-site link and GET form breadth-first.

- Reachability: every URL pattern a role may use (the access matrix in
  test_access_matrix.py, plus the role's own returns) is linked from a page that role sees;
  a parameterised pattern counts when any instance is linked. No link leads a role to an error.
- People's words: the visible text of every page and download reached holds no internal
  code: none of pcc_dashboard.vocabulary's codes, no measure code, no GSS code without its name.
"""

from __future__ import annotations

import csv
import io
import re
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

from pcc_dashboard import vocabulary
from pcc_dashboard.tests.test_access_matrix import MATRIX

# The mark makes pytest-django set up the test database (it looks for tests that use one).
pytestmark = pytest.mark.django_db

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
# Patterns reached by a redirect or a GET form rather than an address of their own. The
# snapshot selector's target serves the pages outside the cached snapshot pages (crime outcomes).
REDIRECTS = {"snapshot_latest": None, "snapshot_select": "outcomes", "outcomes_latest": "outcomes"}
# Patterns no link should lead to, and why.
NOT_LINKED = {
    "two_factor": "a step of signing in, shown only when two-factor sign-in is switched on",
    # The machine-readable API is found through its OpenAPI description, which the public page links.
    "api_snapshots": "API",
    "api_measures": "API",
    "api_series": "API",
    "api_msg": "API",
    "api_outcomes": "API",
    "api_forces": "API",
}
# The CSP lead meets their validation report on the page that answers their upload (a POST).
NOT_LINKED_FOR = {"csp_a": {"return_failed_report"}}
SKIP_PREFIXES = ("/admin/", "/static/", "/accounts/sign-out/")
# The crawl opens at most this many addresses per URL pattern (the co-ordinator, who sees every
# measure, THOROUGH), and one per pattern, arguments but the snapshot date, and query-string names.
# A pattern's other links are still counted as reached. PDFs are the report page's HTML, read there.
PER_PATTERN, THOROUGH = 10, 40
PER_PATTERN_LIMITS = {
    **{"panel_report_pdf": 0, "statement_pdf": 0, "measure_download": 6, "public_measure_csv": 3, "return_original": 2},
    "meeting_detail": THOROUGH,  # every board's meetings, so each board's own links are seen
}


def expected_patterns(role: str) -> set[str]:
    """The URL names this role may use: 200 in the access matrix, its own returns, redirects."""
    names = {name for name, (_, statuses) in MATRIX.items() if statuses[role] == 200}
    names |= OWN.get(role, set())
    names |= {name for name, via in REDIRECTS.items() if via is None or via in names}
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
        limit = PER_PATTERN_LIMITS.get(name, THOROUGH if role == "coordinator" else PER_PATTERN)
        if key in seen or address in seen or counts.get(name, 0) >= limit:
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
    from django.db import connection

    users_file = tmp_path_factory.mktemp("demo") / "demo_users.txt"
    name = str(connection.settings_dict["NAME"])
    assert "memory" in name or "test" in name, f"not a test database: {name}"
    with django_db_blocker.unblock(), transaction.atomic(), mock.patch("demo.builder.USERS_FILE", users_file):
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


# Machine formats, where codes are the point (the return template a data lead fills in, the API),
# and the validation report, which quotes the uploaded file's own column names and cells.
MACHINE = {"return_template", "api_schema", "return_failed_report"}
SNAKE = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")  # all_crime, upload_failed, two_of_three …
GSS = re.compile(r"\b[EWSN]\d{8}\b")
DESIGN_REFERENCE = re.compile(r"\bR(?:1[0-5]|[1-9])\b|§ ?\d")  # a design rule or section number (R5, §5.4)
NAME_NEAR = 120  # characters either side of a GSS code where its area's name must appear


@pytest.fixture(scope="module")
def code_words(crawls, django_db_blocker) -> tuple[set[str], dict[str, str]]:
    """The codes to look for (vocabulary codes, their "cut" forms, measure codes) and GSS code → name."""
    from priorities.models import Area, Measure

    with django_db_blocker.unblock():
        measures = set(Measure.objects.values_list("code", flat=True))
        areas = dict(Area.objects.values_list("code", "name"))
    coded = {c for c in vocabulary.codes() | measures if "_" in c}
    return coded | {c.replace("_", "") for c in coded}, areas


def _hits(text: str, codes: set[str], areas: dict[str, str]) -> list[str]:
    hits = sorted({m.group() for m in SNAKE.finditer(text)} | {c for c in codes if re.search(rf"\b{c}\b", text)})
    hits += [f"design reference {m.group()}" for m in DESIGN_REFERENCE.finditer(text)]
    for match in GSS.finditer(text):
        near = text[max(0, match.start() - NAME_NEAR) : match.end() + NAME_NEAR]
        if areas.get(match.group(), "\0") not in near:
            hits.append(f"{match.group()} without its name")
    return hits


@pytest.mark.parametrize("role", USERS)
def test_no_page_or_download_shows_an_internal_code(crawls, code_words, role):
    codes, areas = code_words
    found = []
    for visit in crawls[role].visits:
        if visit.name not in MACHINE:
            found += [f"{visit.url}: {hit}" for hit in _hits(visit.text, codes, areas)]
    assert crawls[role].visits
    assert not found, f"{role} sees internal codes:\n" + "\n".join(sorted(set(found)))


def test_the_code_search_finds_codes_people_must_not_see():
    codes = {"common_cause", "commoncause", "all_crime"}
    areas = {"E07000129": "Blaby"}
    assert _hits("Variation: common_cause", codes, areas) == ["common_cause"]
    assert _hits("Tone commoncause", codes, areas) == ["commoncause"]
    assert _hits("Rules: beyond_limit, shift", codes, areas) == ["beyond_limit"]
    assert _hits("Area E07000129", codes, areas) == ["E07000129 without its name"]
    assert _hits("Method: trend and context only (R5).", codes, areas) == ["design reference R5"]
    assert _hits("A dated change (§5.4)", codes, areas) == ["design reference §5"]
    assert _hits("Blaby (E07000129): All crime, common cause variation", codes, areas) == []
