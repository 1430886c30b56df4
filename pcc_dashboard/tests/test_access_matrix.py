"""Access-control matrix (ASVS V8): every URL pattern × every role, and a restricted-measure canary.

The URL list comes from the resolver, so a new URL without an entry here fails the test. Each
cell is the status a role gets for a GET (302 = sent to sign in).
"""

import io
from datetime import date

import pandas as pd
import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from pcc_dashboard import roles
from priorities.models import FrameworkPriority, Measure, Theme
from reports.models import Board, Commentary, Meeting, Snapshot
from reports.services import annotation_add, boards_seed, snapshot_freeze, snapshot_publish
from reports.statements import statement_approve, statement_draft, statement_publish, statement_words_save
from returns.models import AuditEvent, Observation, Return, Submitter
from returns.reference import period_for
from returns.services import return_accept, return_submit
from returns.tests.leicestershire import FORCE_SUBMITTER

ROLES = ["anonymous", "csp_a", "police", "panel", "pdg", "coordinator", "staff"]
CANARY_CODE = "marac_referrals"
CANARY_TITLE = "High-risk domestic abuse cases referred to MARAC"
# Words tied to restricted content: a CSP narrative on SP15 (a restricted priority), the
# co-ordinator's context on the restricted measure and an annotation on its series.
CANARY_NARRATIVE = "ZQXNARRATIVECANARY named victim"
CANARY_CONTEXT = "ZQXCONTEXTCANARY"
CANARY_ANNOTATION = "ZQXANNOTATIONCANARY"
CANARIES = (CANARY_CODE, CANARY_TITLE, CANARY_NARRATIVE, CANARY_CONTEXT, CANARY_ANNOTATION)
BLABY, CHARNWOOD = "csp-blaby", "csp-charnwood"


def _only(allowed: set[str], *, denied: int = 403, anonymous: int = 302) -> dict[str, int]:
    return {role: 200 if role in allowed else (anonymous if role == "anonymous" else denied) for role in ROLES}


EVERYONE = dict.fromkeys(ROLES, 200)
SIGNED_IN = {**dict.fromkeys(ROLES, 200), "anonymous": 302}
UPLOADERS = _only({"csp_a", "police", "coordinator"})
OFFICE = _only({"coordinator", "staff"})
BOARDS = _only({"csp_a", "police", "panel", "pdg", "coordinator", "staff"})
PANEL_READERS = _only({"panel", "coordinator", "staff"})
OUTCOME_READERS = _only({"police", "pdg", "coordinator", "staff"})
AUDITORS = _only({"police", "coordinator", "staff"})
POST_ONLY = dict.fromkeys(ROLES, 405)

# name → (URL kwargs, expected status per role). The `data` fixture builds every object named here.
MATRIX = {
    "home": ({}, EVERYONE),
    "plan_file": ({}, OFFICE),
    "public": ({}, EVERYONE),
    "accessibility": ({}, EVERYONE),
    "login": ({}, {**dict.fromkeys(ROLES, 302), "anonymous": 200}),
    "logout": ({}, POST_ONLY),
    "two_factor": ({}, SIGNED_IN),
    # A set-up link that is not the reader's (here: not a link at all) is refused.
    "two_factor_setup": ({"token": "not-a-link"}, {**dict.fromkeys(ROLES, 404), "anonymous": 302}),
    "return_list": ({}, UPLOADERS),
    "return_upload": ({}, UPLOADERS),
    "return_tracker": ({}, OFFICE),
    "audit_log": ({}, OFFICE),
    "outcome_audit_list": ({}, AUDITORS),
    # CSP A's failed upload: the uploader and the office only.
    "return_failed_report": ({"pk": "failed_upload"}, {**_only({"csp_a", "coordinator"}), "police": 404}),
    # CSP B's draft: never visible to CSP A (ASVS 8.2.2), nor to the police lead.
    # Staff administrators see every return (they can in the admin too); they cannot upload.
    "return_detail": ({"pk": "csp_b_draft"}, OFFICE),
    # Decisions and freezes are POST only: a GET is refused before anything else.
    "return_accept": ({"pk": "csp_b_draft"}, POST_ONLY),
    "return_reject": ({"pk": "csp_b_draft"}, POST_ONLY),
    "return_original": ({"pk": "csp_b_draft"}, OFFICE),
    "return_template": (
        {"submitter_code": CHARNWOOD, "start": "2014-04-01", "end": "2014-06-30", "fmt": "csv"},
        _only({"coordinator"}),
    ),
    "return_history": (
        {"submitter_code": CHARNWOOD, "start": "2014-04-01", "end": "2014-06-30"},
        OFFICE,
    ),
    "public_measure_csv": ({"as_of": "2014-05-31", "code": "all_crime"}, EVERYONE),
    "snapshot_list": ({}, SIGNED_IN),
    "snapshot_freeze": ({}, POST_ONLY),
    # The public sees published snapshots only, and just one is published here.
    "snapshot_compare": ({"?": "from=2014-05-31&to=2014-06-30"}, {**EVERYONE, "anonymous": 404}),
    "snapshot_select": ({"?": "as_of=2014-05-31&target=snapshot_overview"}, dict.fromkeys(ROLES, 302)),
    "snapshot_publish": ({"as_of": "2014-06-30"}, POST_ONLY),
    "commentary_measure": ({"as_of": "2014-05-31", "code": "all_crime"}, OFFICE),
    "commentary_theme": ({"as_of": "2014-05-31", "number": 3}, OFFICE),
    "annotation_list": ({"code": "all_crime"}, SIGNED_IN),
    "meeting_list": ({}, BOARDS),
    "meeting_detail": ({"pk": "panel_meeting"}, BOARDS),
    "snapshot_latest": ({}, dict.fromkeys(ROLES, 302)),
    "snapshot_overview": ({"as_of": "2014-05-31"}, EVERYONE),
    "theme_detail": ({"as_of": "2014-05-31", "number": 3}, EVERYONE),
    "priority_detail": ({"as_of": "2014-05-31", "number": 10}, EVERYONE),
    "measure_detail": ({"as_of": "2014-05-31", "code": "all_crime"}, EVERYONE),
    "measure_download": ({"as_of": "2014-05-31", "code": "all_crime", "chart": "trend", "fmt": "csv"}, EVERYONE),
    "panel_report": ({"pk": "panel_meeting"}, PANEL_READERS),
    "panel_report_pdf": ({"pk": "panel_meeting"}, PANEL_READERS),
    "outcomes_latest": ({}, {**OUTCOME_READERS, **{r: 302 for r in ("police", "pdg", "coordinator", "staff")}}),
    "outcomes": ({"as_of": "2014-05-31"}, OUTCOME_READERS),
    "outcomes_csv": ({"as_of": "2014-05-31"}, OUTCOME_READERS),
    "api_schema": ({}, EVERYONE),
    "api_snapshots": ({}, EVERYONE),
    "api_measures": ({"as_of": "2014-05-31"}, EVERYONE),
    "api_series": ({"as_of": "2014-05-31", "code": "all_crime"}, EVERYONE),
    "api_msg": ({"as_of": "2014-05-31", "code": "all_crime"}, EVERYONE),
    "api_outcomes": ({"as_of": "2014-05-31", "?": "month=2014-05"}, EVERYONE),
    # Two months of one force's figures: no complete 12-month window to compare, so the page says so
    # and the API and download answer 404 to everyone alike.
    "api_forces": ({"as_of": "2014-05-31", "code": "all_crime"}, dict.fromkeys(ROLES, 404)),
    "measure_forces": ({"as_of": "2014-05-31", "code": "all_crime"}, EVERYONE),
    "measure_forces_download": ({"as_of": "2014-05-31", "code": "all_crime", "fmt": "csv"}, dict.fromkeys(ROLES, 404)),
    "statement_list": ({}, EVERYONE),
    "statement_create": ({}, POST_ONLY),
    "statement_edit": ({"pk": "statement_draft"}, _only({"coordinator", "staff"})),
    "statement_approve": ({"pk": "statement_draft"}, POST_ONLY),
    "statement_publish": ({"pk": "statement_draft"}, POST_ONLY),
    "statement_detail": ({"framework": "national_priorities", "quarter": "2014-03-31"}, EVERYONE),
    "statement_pdf": ({"framework": "national_priorities", "quarter": "2014-03-31"}, EVERYONE),
}
# An unpublished snapshot: the public gets 404, every signed-in role sees it.
UNPUBLISHED = {"snapshot_overview": {"as_of": "2014-06-30"}, "api_measures": {"as_of": "2014-06-30"}}


def _url_names(patterns, skip=("admin",)):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if any(part in str(pattern.pattern) for part in skip):
                continue
            yield from _url_names(pattern.url_patterns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield pattern.name


def _frame(rows):
    return pd.DataFrame(
        rows, columns=["measure_code", "area_code", "period_start", "period_end", "value", "numerator", "denominator"]
    ).assign(respondents=None, comment="")


@pytest.fixture
def data(plan, make_user):
    """Two months of force data, CSP A accepted and CSP B in draft, two snapshots, a Panel meeting."""
    force = Submitter.objects.get(code=FORCE_SUBMITTER)
    for start, end in [(date(2014, 4, 1), date(2014, 4, 30)), (date(2014, 5, 1), date(2014, 5, 31))]:
        rows = [(code, "E23000021", start, end, 500.0, None, None) for code in ("all_crime", "burglary_dwelling")]
        outcomes = pd.DataFrame(
            [("E23000021", start, "Theft offences", "home_office", code, 40) for code in ("1", "18")],
            columns=["area_code", "month", "crime_group", "scheme", "outcome_code", "count"],
        )
        ret = return_submit(submitter=force, period=period_for(start=start, end=end), rows=_frame(rows),
                            raw=b"force", original_name="force.csv", outcomes=outcomes)  # fmt: skip
        return_accept(ret=ret)
    quarter = period_for(start=date(2014, 1, 1), end=date(2014, 3, 31))
    ret = return_submit(submitter=force, period=quarter, raw=b"q", original_name="q.csv",
                        rows=_frame([(CANARY_CODE, "E23000021", date(2014, 1, 1), date(2014, 3, 31), 250.0, None, None)]))  # fmt: skip
    return_accept(ret=ret)
    marac = Measure.objects.get(code=CANARY_CODE)
    annotation_add(measure=marac, date=date(2014, 2, 1), label=CANARY_ANNOTATION, text=CANARY_ANNOTATION)
    q4 = period_for(start=date(2014, 1, 1), end=date(2014, 3, 31))
    words = return_submit(submitter=Submitter.objects.get(code=BLABY), period=q4, raw=b"w", original_name="w.csv",
                          rows=_frame([("youth_first_time_entrants", "E22000164", q4.start, q4.end, 5.0, None, None)]),
                          narrative={15: CANARY_NARRATIVE, 16: "Partnership work on SP16."})  # fmt: skip
    return_accept(ret=words)
    q1 = period_for(start=date(2014, 4, 1), end=date(2014, 6, 30))
    blaby = return_submit(submitter=Submitter.objects.get(code=BLABY), period=q1, raw=b"a", original_name="a.csv",
                          rows=_frame([("youth_first_time_entrants", "E22000164", q1.start, q1.end, 7.0, None, None)]))  # fmt: skip
    return_accept(ret=blaby)
    draft = return_submit(submitter=Submitter.objects.get(code=CHARNWOOD), period=q1, raw=b"b", original_name="b.csv",
                          rows=_frame([("youth_first_time_entrants", "E22000165", q1.start, q1.end, 9.0, None, None)]))  # fmt: skip
    may = snapshot_freeze(as_of=date(2014, 5, 31))
    snapshot_publish(snapshot=may)
    Commentary.objects.create(snapshot=may, measure=marac, text=CANARY_CONTEXT)
    snapshot_freeze(as_of=date(2014, 6, 30))
    boards_seed()
    meeting = Meeting.objects.filter(
        board__in=Board.objects.filter(is_panel=True), date__year=2014, date__month=6
    ).first()
    # The thematic report on Protecting the Vulnerable: SP15 (restricted) and the MARAC measure (SP16).
    Meeting.objects.filter(pk=meeting.pk).update(theme_override=Theme.objects.get(number=4))
    users = {
        "csp_a": make_user(roles.CSP_SUBMITTER, BLABY),
        "police": make_user(roles.POLICE_SUBMITTER, FORCE_SUBMITTER),
        "panel": make_user(roles.PANEL),
        "pdg": make_user(roles.PDG),
        "coordinator": make_user(roles.COORDINATOR),
        "staff": make_user(None, is_staff=True),
    }
    failed = AuditEvent.objects.create(action="upload_failed", user=users["csp_a"], summary="failed upload",
                                       submitter=Submitter.objects.get(code=BLABY),
                                       details={"problems": [{"file": "x.csv", "row": 2, "column": "value",
                                                              "value": "five", "message": "not a number"}]})  # fmt: skip
    # A published statement on the national priorities that lists the restricted measure (it must never
    # show it), and the next quarter's draft.
    FrameworkPriority.objects.get(framework__code="national_priorities", code="victim_satisfaction").measures.add(marac)
    statement = statement_draft(framework_code="national_priorities", quarter_end=date(2014, 3, 31), snapshot=may)
    statement_words_save(statement=statement, words={"introduction": "The force's contribution."})
    statement_publish(statement=statement_approve(statement=statement))
    june = Snapshot.objects.get(as_of=date(2014, 6, 30))
    next_draft = statement_draft(framework_code="national_priorities", quarter_end=date(2014, 6, 30), snapshot=june)
    objects = {"failed_upload": failed.pk, "csp_b_draft": draft.pk, "panel_meeting": meeting.pk,
               "statement_draft": next_draft.pk}  # fmt: skip
    return users, objects



def _status(client, url: str) -> int:
    """The status of a GET, closing the response so a file it streams is closed too (without the
    request-finished signal closing the test's database connection, as Django's test client does)."""
    from django.core.signals import request_finished
    from django.db import close_old_connections

    response = client.get(url)
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    return response.status_code

def _client(users, role) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(users[role])
    return client


def _url(name, kwargs, objects):
    query = kwargs.get("?")
    kwargs = {k: objects.get(v, v) if isinstance(v, str) else v for k, v in kwargs.items() if k != "?"}
    return reverse(name, kwargs=kwargs) + (f"?{query}" if query else "")


def test_every_url_pattern_has_a_matrix_entry():
    names = set(_url_names(get_resolver().url_patterns))
    missing = sorted(names - set(MATRIX))
    assert not missing, f"add these URL names to the access matrix: {missing}"
    assert not set(MATRIX) - names, f"matrix names no longer routed: {sorted(set(MATRIX) - names)}"


def test_access_matrix_every_url_every_role(data):
    users, objects = data
    clients = {role: _client(users, role) for role in ROLES}
    wrong = []
    for name, (kwargs, expected) in MATRIX.items():
        url = _url(name, kwargs, objects)
        for role in ROLES:
            status = _status(clients[role], url)
            if status != expected[role]:
                wrong.append(f"{name} {url} as {role}: {status}, expected {expected[role]}")
    assert not wrong, "\n".join(wrong)


def test_unpublished_snapshot_hidden_from_public_only(data):
    users, objects = data
    for name, kwargs in UNPUBLISHED.items():
        url = reverse(name, kwargs=kwargs)
        assert _status(_client(users, "anonymous"), url) == 404
        for role in ROLES[1:]:
            assert _status(_client(users, role), url) == 200, (name, role)


def test_csp_user_cannot_write_another_partnerships_return(data):
    users, objects = data
    client = _client(users, "csp_a")
    draft = Return.objects.get(pk=objects["csp_b_draft"])
    before = (Return.objects.count(), Observation.objects.count(), draft.status)
    # By URL: deciding on CSP B's draft.
    assert client.post(reverse("return_accept", kwargs={"pk": draft.pk})).status_code == 403
    # By form field: uploading as CSP B.
    upload = io.BytesIO(
        b"measure_code,area_code,period_start,period_end,value,numerator,denominator,respondents,comment\r\n"
        b"youth_first_time_entrants,E07000130,2014-04-01,2014-06-30,3,,,,\r\n"
    )
    upload.name = "b.csv"
    response = client.post(
        reverse("return_upload"), {"submitter": CHARNWOOD, "period": "2014-04-01:2014-06-30", "file": upload}
    )
    assert response.status_code in (200, 400, 403)
    # By file contents: CSP B's area in CSP A's own return.
    upload.seek(0)
    response = client.post(
        reverse("return_upload"), {"submitter": BLABY, "period": "2014-04-01:2014-06-30", "file": upload}
    )
    assert "not in" in response.content.decode()
    draft.refresh_from_db()
    assert (Return.objects.count(), Observation.objects.count(), draft.status) == before


def _get_urls(objects) -> list[str]:
    urls = []
    for name, (kwargs, _) in MATRIX.items():
        urls.append(_url(name, kwargs, objects))
    for as_of in ("2014-05-31", "2014-06-30", "latest"):
        urls += [
            reverse("measure_detail", kwargs={"as_of": as_of, "code": CANARY_CODE}),
            reverse("measure_download", kwargs={"as_of": as_of, "code": CANARY_CODE, "chart": "trend", "fmt": "csv"}),
            reverse("measure_download", kwargs={"as_of": as_of, "code": CANARY_CODE, "chart": "trend", "fmt": "xlsx"}),
            reverse("public_measure_csv", kwargs={"as_of": as_of, "code": CANARY_CODE}),
            reverse("api_measures", kwargs={"as_of": as_of}),
            reverse("api_measures", kwargs={"as_of": as_of}) + "?format=csv",
            reverse("api_series", kwargs={"as_of": as_of, "code": CANARY_CODE}),
            reverse("api_msg", kwargs={"as_of": as_of, "code": CANARY_CODE}),
            reverse("api_forces", kwargs={"as_of": as_of, "code": CANARY_CODE}),
            reverse("measure_forces", kwargs={"as_of": as_of, "code": CANARY_CODE}),
            reverse("snapshot_overview", kwargs={"as_of": as_of}) if as_of != "latest" else "/snapshots/latest/",
            reverse("theme_detail", kwargs={"as_of": as_of, "number": 4}),
            reverse("priority_detail", kwargs={"as_of": as_of, "number": 16}),
            reverse("annotation_list", kwargs={"code": CANARY_CODE}),
        ]
    return urls + ["/", "/public/", "/api/v1/schema", "/snapshots/compare/?from=2014-05-31&to=2014-06-30",
                   "/statements/national_priorities/2014-03-31/", "/statements/national_priorities/2014-03-31.pdf"]  # fmt: skip


def _text(response) -> str:
    """What a reader gets: the page, the download, or the PDF's text (whitespace runs as one space)."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Type", "").startswith("application/pdf"):
        from pypdf import PdfReader

        return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages).split())
    return " ".join(body.decode("utf-8", "replace").split())


def _leaks(client, urls) -> list[str]:
    found = []
    for url in urls:
        response = client.get(url, follow=True)
        if response.redirect_chain and response.redirect_chain[-1][0].startswith(reverse("login")):
            continue  # the sign-in page echoes the address asked for, not its content
        text = _text(response)
        found += [f"{canary} at {url}" for canary in CANARIES if canary in text]
    return found


@pytest.mark.parametrize("role", ["anonymous", "panel"])
def test_restricted_canary_never_reaches_public_or_panel(data, role):
    """Figures, narratives, context, annotations and caveats: every page, PDF, download and API answer."""
    pytest.importorskip("pypdf")
    users, objects = data
    client = _client(users, role)
    urls = _get_urls(objects) + [reverse("priority_detail", kwargs={"as_of": "2014-05-31", "number": 15})]
    assert not _leaks(client, urls), f"leaked to {role}"
    # A second pass is answered from the page cache: it must not leak either.
    assert not _leaks(client, urls), f"leaked to {role} from the cache"


@pytest.mark.parametrize("role", ["coordinator", "staff"])
def test_panel_report_is_made_for_the_panel_whoever_downloads_it(data, role):
    pytest.importorskip("pypdf")
    users, objects = data
    client = _client(users, role)
    urls = [_url(name, ({"pk": "panel_meeting"}), objects) for name in ("panel_report", "panel_report_pdf")]
    for url in urls:
        assert _status(client, url) == 200
    assert not _leaks(client, urls)
    assert "Partnership work on SP16." in _text(client.get(urls[1]))  # the report itself is there


def test_restricted_canary_reaches_entitled_roles(data):
    users, objects = data
    client = _client(users, "coordinator")
    body = client.get(reverse("measure_detail", kwargs={"as_of": "2014-05-31", "code": CANARY_CODE}))
    assert body.status_code == 200
    for canary in (CANARY_TITLE, CANARY_CONTEXT, CANARY_ANNOTATION):
        assert canary in _text(body)
    page = client.get(reverse("priority_detail", kwargs={"as_of": "2014-05-31", "number": 15}))
    assert CANARY_NARRATIVE in _text(page)


def test_staff_without_role_cannot_upload(data):
    users, _ = data
    assert not roles.can(User.objects.get(pk=users["staff"].pk), "upload_return")
