"""The quarterly statement: drafted from a snapshot, approved and published by the co-ordinator, then never changed."""

import io
import re
from datetime import date

import pytest
from django.core.management import call_command
from django.db import DatabaseError, transaction
from django.test import Client

from pcc_dashboard.roles import COORDINATOR
from priorities.models import FrameworkPriority, Measure
from reports.models import Snapshot, SnapshotPublication, Statement, StatementFrozen
from reports.services import snapshot_freeze
from reports.statements import statement_digest
from reports.tests.paper import last_page_remainders

HO_FILE = "prc-pfa-2017-18.csv"
CANARY = "High-risk domestic abuse cases referred to MARAC"


def _freeze_published(as_of: date) -> Snapshot:
    snapshot = snapshot_freeze(as_of=as_of)
    SnapshotPublication.objects.create(snapshot=snapshot, published_at=snapshot.frozen_at)
    return snapshot


@pytest.fixture
def national(plan, shared_data):
    call_command("import_home_office_prc", str(shared_data / "home-office-prc-pfa" / HO_FILE))
    # The restricted measure is listed under a national priority: it must still never reach the statement.
    marac = Measure.objects.get(code="marac_referrals")
    FrameworkPriority.objects.get(framework__code="national_priorities", code="victim_satisfaction").measures.add(marac)
    return _freeze_published(date(2018, 3, 31))


def _publish(client, *, quarter_end: str, snapshot: str, words: str) -> Statement:
    response = client.post(
        "/statements/drafts/new/",
        {"framework": "national_priorities", "quarter_end": quarter_end, "snapshot": snapshot},
    )
    statement = Statement.objects.get(framework_code="national_priorities", quarter_end=quarter_end)
    assert response.status_code == 302 and response["Location"] == f"/statements/drafts/{statement.pk}/"
    # Not approved without the office's words, and not published before approval.
    client.post(f"/statements/drafts/{statement.pk}/approve/")
    client.post(f"/statements/drafts/{statement.pk}/publish/")
    statement.refresh_from_db()
    assert statement.status == "draft"
    client.post(
        f"/statements/drafts/{statement.pk}/",
        {"words-introduction": words, "words-neighbourhood_crime": "Burglary patrols in the city."},
    )
    client.post(f"/statements/drafts/{statement.pk}/approve/")
    statement.refresh_from_db()
    assert statement.status == "approved"
    return statement


def _corrected_file(shared_data, tmp_path, *, extra: int):
    """The Home Office file with Leicestershire's Q4 residential burglary revised up by `extra`."""
    lines = (shared_data / "home-office-prc-pfa" / HO_FILE).read_text(encoding="utf-8-sig").splitlines()
    out = []
    for line in lines:
        cells = line.split(",")
        if cells[:3] == ["2017/18", "4", "Leicestershire"] and cells[-2] == "28E":
            cells[-1] = f" {int(cells[-1]) + extra} "
        out.append(",".join(cells))
    path = tmp_path / HO_FILE
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def _neighbourhood(statement: Statement) -> dict:
    item = next(p for p in statement.content["priorities"] if p["code"] == "neighbourhood_crime")
    return next(m for m in item["measures"] if m["code"] == "neighbourhood_crime")


def test_statement_drafted_approved_published_then_never_changes(client_for, national, shared_data, tmp_path):
    office = client_for(COORDINATOR)
    draft = _publish(office, quarter_end="2018-03-31", snapshot="2018-03-31", words="ZQXWORDS contribution.")
    response = office.post(f"/statements/drafts/{draft.pk}/publish/")
    published = Statement.objects.get(pk=draft.pk)
    assert published.status == "published"
    address = "/statements/national_priorities/2018-03-31/"
    assert response["Location"] == address
    assert published.digest == statement_digest(published)

    public = Client()
    page = public.get(address)
    assert page.status_code == 200
    text = page.content.decode()
    for words in ("Reduce murder and other homicide", "Tackle cyber crime", "ZQXWORDS contribution.",
                  "Burglary patrols in the city.", national.digest, published.digest, "of 43 forces"):  # fmt: skip
        assert words in text, words
    assert "Applies locally" in text and CANARY not in text and "marac" not in text.lower()
    assert address in public.get("/public/").content.decode()
    before = (page.content, _neighbourhood(published)["sentence"])

    # A correction to Leicestershire's January–March figures, a later freeze, and the next quarter's draft.
    call_command("import_home_office_prc", str(_corrected_file(shared_data, tmp_path, extra=250)))
    _freeze_published(date(2018, 6, 30))
    nxt = _publish(office, quarter_end="2018-06-30", snapshot="2018-06-30", words="Next quarter.")
    published.refresh_from_db()
    assert published.digest == statement_digest(published)
    assert (public.get(address).content, _neighbourhood(published)["sentence"]) == before
    old_count, new_count = (_count(s) for s in (published, nxt))
    assert new_count == old_count + 250
    with pytest.raises(StatementFrozen):
        published.save()
    with pytest.raises(StatementFrozen):
        published.delete()
    # The database refuses too: a queryset update or raw SQL never reaches a published statement.
    for change in (lambda: Statement.objects.filter(pk=published.pk).update(words={}),
                   lambda: Statement.objects.filter(pk=published.pk).delete()):  # fmt: skip
        with pytest.raises(DatabaseError), transaction.atomic():
            change()
    assert Statement.objects.get(pk=published.pk).digest == statement_digest(published)
    # Published again under the same quarter? Never: the draft form refuses it.
    office.post("/statements/drafts/new/",
                {"framework": "national_priorities", "quarter_end": "2018-03-31", "snapshot": "2018-06-30"})  # fmt: skip
    assert Statement.objects.filter(quarter_end=date(2018, 3, 31)).count() == 1


def _count(statement: Statement) -> int:
    """The 12-month count in the neighbourhood crime sentence ("… 12 months to March 2018, 17,926; …")."""
    sentence = _neighbourhood(statement)["sentence"]
    found = re.search(r"12 months to March 2018, ([\d,]+);", sentence)
    assert found, sentence
    return int(found.group(1).replace(",", ""))


def test_statement_pdf_and_earlier_quarters(client_for, national):
    pytest.importorskip("pypdf")
    from pypdf import PdfReader

    office = client_for(COORDINATOR)
    first = _publish(office, quarter_end="2018-03-31", snapshot="2018-03-31", words="First.")
    office.post(f"/statements/drafts/{first.pk}/publish/")
    _freeze_published(date(2018, 6, 30))
    second = _publish(office, quarter_end="2018-06-30", snapshot="2018-06-30", words="Second.")
    office.post(f"/statements/drafts/{second.pk}/publish/")
    page = Client().get("/statements/national_priorities/2018-06-30/").content.decode()
    assert "/statements/national_priorities/2018-03-31/" in page
    pdf = Client().get("/statements/national_priorities/2018-06-30.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == 'attachment; filename="statement-national-priorities-2018-06-30.pdf"'
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Reduce serious violence" in text and CANARY not in text


def test_statement_pdf_last_page_always_has_some_of_the_statement(client_for, national, monkeypatch):
    """The licence line and the earlier quarters never stand alone on the last page, wherever the
    last page break falls: they keep the end of the last priority with them."""
    pytest.importorskip("pypdf")
    import reports.views.statements as views

    office = client_for(COORDINATOR)
    statement = _publish(office, quarter_end="2018-03-31", snapshot="2018-03-31", words="First.")
    office.post(f"/statements/drafts/{statement.pk}/publish/")
    rendered = []
    monkeypatch.setattr(views, "html_to_pdf", lambda html: rendered.append(html) or b"%PDF")
    Client().get("/statements/national_priorities/2018-03-31.pdf")
    closing = [
        "Contains public sector information licensed under the Open Government Licence v3.0.",
        "Earlier quarters",
        "This is the first published statement on these priorities.",
    ]
    remainders = last_page_remainders(rendered[0], closing=closing)
    assert all(remainders.values()), remainders
