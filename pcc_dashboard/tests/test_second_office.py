"""Another office, by data alone: the example West Yorkshire plan (a Mayor, its own peer group, boards
and a robbery measure) set up as a new office would, with Home Office open data, gives pages, papers
and API answers about West Yorkshire that never mention Leicestershire or a Commissioner."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import deque
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from pypdf import PdfReader

from priorities.models import Area, Office, PeerGroupMember
from returns.models import DataSetItem, Return, Submitter

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PLAN = ROOT / "fixtures" / "plan_west_yorkshire_example.yaml"
LEICESTERSHIRE_PLAN = ROOT / "fixtures" / "plan_leicestershire_2014.yaml"
PRC = ROOT.parent / "shared" / "data" / "home-office-prc-pfa" / "prc-pfa-2017-18.csv"
WEST_YORKSHIRE = "E23000010"
AS_OF = dt.date(2018, 3, 31)
# Words that would show the product still speaking for Leicestershire's office: its force, its
# districts and partnerships, its savings challenge, and the Commissioner's title.
LEICESTERSHIRE = re.compile(
    r"Leicester|Rutland|Blaby|Charnwood|Harborough|Hinckley|Melton|Oadby|Wigston|E23000021|"
    r"Commissioner|\bO?PCC\b|£20m|£20,000,000|20 million",
    re.IGNORECASE,
)


# And the words of the second office, which Leicestershire's pages must not borrow.
WEST_YORKSHIRE_WORDS = re.compile(r"West Yorkshire|Mayor|Bradford|Calderdale|Kirklees|Leeds|Wakefield|E23000010")


def _setup(order: tuple[str, str], plan: Path = PLAN) -> None:
    for step in order:
        if step == "reference":
            call_command("import_reference", verbosity=0)
        else:
            call_command("import_plan", str(plan), verbosity=0)


@pytest.mark.parametrize("order", [("reference", "plan"), ("plan", "reference")])
def test_either_order_gives_the_offices_areas_submitters_peer_group_and_data_set(order):
    _setup(order)
    office = Office.objects.get()
    assert (office.force_code, office.title, office.force_name) == (WEST_YORKSHIRE, "Mayor", "West Yorkshire")
    csps = set(Area.objects.filter(parent__code=WEST_YORKSHIRE).values_list("name", flat=True))
    assert csps == {"Bradford", "Calderdale", "Kirklees", "Leeds", "Wakefield"}
    assert set(Submitter.objects.values_list("code", flat=True)) == {
        "west-yorkshire-police",
        "csp-bradford",
        "csp-calderdale",
        "csp-kirklees",
        "csp-leeds",
        "csp-wakefield",
        "public-data",
    }
    # The measure Leicestershire's plan lacks is in the force's agreed data set, for each CSP area.
    robbery = DataSetItem.objects.filter(submitter__code="west-yorkshire-police", measure__code="robbery")
    assert robbery.count() == 6
    members = {
        (m.area.name, m.valid_from, m.valid_to)
        for m in PeerGroupMember.objects.filter(group__name="West Yorkshire metropolitan peer group")
    }
    assert ("Lancashire", dt.date(2015, 4, 1), None) in members
    assert len(members) == 7 and not any(name == "Leicestershire" for name, _, _ in members)


def test_a_return_naming_a_district_counts_for_its_partnership():
    from returns.models import Observation
    from returns.services import return_upload

    _setup(("reference", "plan"))
    leeds = Submitter.objects.get(code="csp-leeds")
    raw = (
        b"measure_code,area_code,period_start,period_end,value,numerator,denominator,respondents,comment\r\n"
        b"youth_first_time_entrants,E08000035,2017-04-01,2017-06-30,31,,,,\r\n"  # Leeds district
    )
    outcome = return_upload(
        submitter=leeds, start=dt.date(2017, 4, 1), end=dt.date(2017, 6, 30), raw=raw, file_name="leeds.csv"
    )
    assert outcome.ret is not None and not outcome.errors
    stored = Observation.objects.get(measure__code="youth_first_time_entrants")
    assert (stored.area.code, stored.area.name, stored.value) == ("E22000345", "Leeds", 31.0)


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.text: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self._hidden += tag in ("script", "style", "template")
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        self.text += [attrs[name] for name in ("aria-label", "title", "alt") if attrs.get(name)]

    def handle_endtag(self, tag):
        self._hidden -= tag in ("script", "style", "template")

    def handle_data(self, data):
        if not self._hidden:
            self.text.append(data)


def _crawl(client: Client, start: str, limit: int = 400) -> dict[str, str]:
    """Every same-site page and download reached from `start`: address → its visible text."""
    seen, queue, texts = {start}, deque([start]), {}
    while queue and len(texts) < limit:
        url = queue.popleft()
        response = client.get(url)
        if response.status_code in (301, 302):
            target = urljoin(url, response["Location"])
            if target not in seen:
                seen.add(target)
                queue.append(target)
            continue
        assert response.status_code == 200, url
        kind = response.get("Content-Type", "")
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if "pdf" in kind:
            texts[url] = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
            continue
        if "html" not in kind:
            texts[url] = body.decode("utf-8", "replace")
            continue
        page = _Links()
        page.feed(body.decode())
        texts[url] = " ".join(page.text)
        for href in page.links:
            target = urljoin(url, href).split("#")[0]
            parts = urlsplit(target)
            if parts.netloc or parts.path.startswith(("/admin/", "/static/", "/accounts/sign-out/")):
                continue
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return texts


# Each office: its plan file, its force, a peer it compares with, the words that must not appear on
# its pages, and words its pages and papers must hold (its force, scrutiny body and office).
OFFICES = {
    "west_yorkshire": (PLAN, WEST_YORKSHIRE, "Greater Manchester", LEICESTERSHIRE,
                       ["West Yorkshire Police and Crime Panel", "Mayor of West Yorkshire", "Robbery"]),
    "leicestershire": (LEICESTERSHIRE_PLAN, "E23000021", "Nottinghamshire", WEST_YORKSHIRE_WORDS,
                       ["Police and Crime Panel", "Police and Crime Commissioner for Leicestershire"]),
}  # fmt: skip


@pytest.fixture(params=sorted(OFFICES))
def office(request, db):
    """An office as a new office sets it up (README): reference data and plan (West Yorkshire's in
    the other order from `make run`), boards, the Home Office's 2017/18 force file, and the
    December 2017 and March 2018 freezes, published."""
    if not PRC.exists():
        pytest.skip("the shared Home Office data (../shared/data) is not here")
    from django.core.cache import cache

    from reports.services import snapshot_freeze, snapshot_publish

    plan, *_ = OFFICES[request.param]
    cache.clear()  # no page cached for another office's snapshot of the same date
    _setup(("plan", "reference") if plan == PLAN else ("reference", "plan"), plan)
    call_command("seed_boards", verbosity=0)
    call_command("import_home_office_prc", str(PRC), verbosity=0)
    for month_end in (dt.date(2017, 12, 31), AS_OF):
        snapshot_publish(snapshot=snapshot_freeze(as_of=month_end))
    return OFFICES[request.param]


def test_the_msg_api_is_centred_on_the_office_force_and_its_peer_group(office, client):
    _, force, peer, foreign, _ = office
    answer = client.get(f"/api/v1/snapshots/{AS_OF}/measures/all_crime/msg").json()
    text = str(answer)
    assert force in text and peer in text
    assert not foreign.search(text)
    series = client.get(f"/api/v1/snapshots/{AS_OF}/measures/all_crime/series").json()
    assert series["area"] == force


def test_the_measure_leicestershire_lacks_comes_from_the_home_office_file(office, client):
    if office[1] != WEST_YORKSHIRE:
        pytest.skip("robbery is in the West Yorkshire plan only")
    answer = client.get(f"/api/v1/snapshots/{AS_OF}/measures/robbery/msg").json()
    assert "Lancashire" in str(answer)  # a member from April 2015
    series = client.get(f"/api/v1/snapshots/{AS_OF}/measures/robbery/series").json()
    # 602 + 116 robberies in April to June 2017 (the Home Office file, codes 34B and 34A).
    assert series["area"] == WEST_YORKSHIRE and any(p["value"] == 718 for p in series["points"])


def test_every_page_and_paper_speaks_for_its_own_office(office, make_user):
    from pcc_dashboard.roles import COORDINATOR, PANEL

    _, force, _, foreign, own_words = office
    texts = {}
    for role in (None, COORDINATOR):  # the co-ordinator reaches every page, paper and download
        client = Client()
        if role:
            client.force_login(make_user(role))
        texts.update({f"{role}:{url}": text for url, text in _crawl(client, "/").items()})
    if force == WEST_YORKSHIRE:  # its Panel meets after the frozen month ends (Leicestershire's in 2014)
        assert [url for url in texts if url.endswith(".pdf")], "the crawl reached no Panel report PDF"
    # Public data's returns hold every force's figures (the Home Office file as published), and
    # so name all 43 forces, as does each measure's position among all forces (its page and CSV);
    # nothing else may name another office's force or places.
    national = {
        f"/returns/{pk}/" for pk in Return.objects.filter(submitter__code="public-data").values_list("pk", flat=True)
    }
    national.add("/returns/public-data/")
    found = {
        url: foreign.findall(text)
        for url, text in texts.items()
        if foreign.search(text)
        and not url.split(":", 1)[1].startswith(tuple(national))
        and not re.search(r"/measures/[^/]+/forces(/|\.csv)", url)
    }
    assert found == {}
    everything = " ".join(texts.values())
    assert all(words in everything for words in own_words)
    panel = Client()
    panel.force_login(make_user(PANEL))
    scrutiny = Office.objects.get().scrutiny_body
    assert f"({scrutiny} member)" in panel.get("/").content.decode()
