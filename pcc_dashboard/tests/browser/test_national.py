"""The national picture in a browser: the forces chart and a published quarterly statement pass axe-core."""

import json

import pytest

pytestmark = pytest.mark.browser

# The latest published snapshot of the demo, and a statement on the national priorities published from it.
_PUBLISH_STATEMENT = """
import json
from reports.models import Snapshot, Statement
from reports.statements import is_quarter_end, statement_approve, statement_draft, statement_publish, statement_words_save
snapshot = Snapshot.objects.filter(publication__isnull=False).order_by("-as_of").first()
quarter = max(s.as_of for s in Snapshot.objects.filter(as_of__lte=snapshot.as_of) if is_quarter_end(s.as_of))
found = Statement.objects.filter(framework_code="national_priorities", quarter_end=quarter, status="published").first()
if found is None:
    draft = statement_draft(framework_code="national_priorities", quarter_end=quarter, snapshot=snapshot)
    draft = statement_words_save(statement=draft, words={"introduction": "The force's contribution this quarter."})
    statement_publish(statement=statement_approve(statement=draft))
print("FOUND=" + json.dumps({"as_of": snapshot.as_of.isoformat(), "quarter": quarter.isoformat()}))
"""


@pytest.fixture(scope="module")
def national(site):
    if not site.has_demo:
        pytest.skip("seed_demo is not available, so there are no snapshots to show")
    return json.loads(site.manage("shell", "-c", _PUBLISH_STATEMENT).split("FOUND=", 1)[1])


def test_forces_chart_page_passes_axe_and_draws_the_chart(page, site, national, axe_check):
    axe_check(page, site.url(f"/snapshots/{national['as_of']}/measures/all_crime/forces/"))
    assert page.locator(".app-chart .main-svg").count() >= 1
    assert "this force" in page.locator(".app-chart__figure").inner_text()
    assert page.locator(".app-chart table tbody tr").count() >= 2


def test_public_statement_passes_axe_and_is_linked_from_the_public_page(page, site, national, axe_check):
    address = f"/statements/national_priorities/{national['quarter']}/"
    page.goto(site.url("/public/"))
    assert page.locator(f"a[href='{address}']").count() == 1
    axe_check(page, site.url(address))
    assert "Reduce neighbourhood crime" in page.locator("main").inner_text()
