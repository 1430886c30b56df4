"""The quarterly statement on the national priorities: drafting and approval (the office), the public pages and PDF."""

from datetime import date

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pcc_dashboard.roles import can, require
from priorities.models import Framework
from reports.models import Statement, StatementStatus
from reports.pdf import html_to_pdf
from reports.selectors import snapshots_visible_to
from reports.statements import (
    INTRODUCTION,
    StatementError,
    is_quarter_end,
    statement_approve,
    statement_draft,
    statement_publish,
    statement_words_save,
)

DETAIL = "reports/statements/detail.html"


def _published():
    return Statement.objects.filter(status=StatementStatus.PUBLISHED).select_related("snapshot")


def latest_statements() -> list[Statement]:
    """The latest published statement of each framework (what the public page links)."""
    latest: dict[str, Statement] = {}
    for statement in _published().order_by("framework_code", "-quarter_end"):
        latest.setdefault(statement.framework_code, statement)
    return list(latest.values())


@require_GET
def statement_list(request):
    """Published statements by framework, newest first; the co-ordinator also sees drafts and starts one."""
    context = {"published": _published().order_by("framework_title", "-quarter_end")}
    if can(request.user, "write_commentary"):
        snapshots = list(snapshots_visible_to(request.user).values_list("as_of", flat=True))
        context.update(
            drafts=Statement.objects.exclude(status=StatementStatus.PUBLISHED).select_related("snapshot"),
            frameworks=Framework.objects.all(),
            snapshots=snapshots,
            quarter_ends=[day for day in snapshots if is_quarter_end(day)],
        )
    return render(request, "reports/statements/list.html", context)


@require_POST
@require("write_commentary")
def statement_create(request):
    try:
        quarter_end = date.fromisoformat(request.POST.get("quarter_end", ""))
        as_of = date.fromisoformat(request.POST.get("snapshot", ""))
    except ValueError:
        messages.error(request, "Choose a quarter and a snapshot.")
        return redirect("statement_list")
    snapshot = snapshots_visible_to(request.user).filter(as_of=as_of).first()
    if snapshot is None:
        messages.error(request, "Choose a snapshot that has been frozen.")
        return redirect("statement_list")
    try:
        statement = statement_draft(
            framework_code=request.POST.get("framework", ""), quarter_end=quarter_end, snapshot=snapshot,
            user=request.user,
        )  # fmt: skip
    except StatementError as exc:
        messages.error(request, str(exc))
        return redirect("statement_list")
    messages.success(request, f"Drafted the statement from the data as at {snapshot.as_of:%-d %B %Y}.")
    return redirect("statement_edit", pk=statement.pk)


@require_http_methods(["GET", "POST"])
@require("write_commentary")
def statement_edit(request, pk):
    """The draft as the public will read it, with the office's words to write, approve and publish."""
    statement = get_object_or_404(Statement.objects.select_related("snapshot"), pk=pk)
    if statement.status == StatementStatus.PUBLISHED:
        return redirect(
            "statement_detail", framework=statement.framework_code, quarter=statement.quarter_end.isoformat()
        )
    if request.method == "POST":
        keys = [INTRODUCTION, *(p["code"] for p in statement.content["priorities"])]
        try:
            statement_words_save(statement=statement, words={k: request.POST.get(f"words-{k}", "") for k in keys},
                                 user=request.user)  # fmt: skip
        except StatementError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Saved the office's words. The statement is a draft until you approve it.")
        return redirect("statement_edit", pk=pk)
    return render(request, "reports/statements/edit.html", {"statement": statement, **_detail_context(statement)})


def _step(request, pk, action, done: str):
    statement = get_object_or_404(Statement, pk=pk)
    try:
        statement = action(statement=statement, user=request.user)
    except StatementError as exc:
        messages.error(request, str(exc))
        return redirect("statement_edit", pk=pk)
    messages.success(request, done)
    if statement.status == StatementStatus.PUBLISHED:
        return redirect(
            "statement_detail", framework=statement.framework_code, quarter=statement.quarter_end.isoformat()
        )
    return redirect("statement_edit", pk=pk)


@require_POST
@require("write_commentary")
def statement_approve_view(request, pk):
    return _step(request, pk, statement_approve, "Approved. Publish it when it should go on the public page.")


@require_POST
@require("publish_snapshot")
def statement_publish_view(request, pk):
    return _step(request, pk, statement_publish, "Published. This statement will never change.")


def _detail_context(statement: Statement) -> dict:
    earlier = _published().filter(framework_code=statement.framework_code).exclude(pk=statement.pk)
    priorities = [{**item, "words": statement.words.get(item["code"], "")} for item in statement.content["priorities"]]
    return {
        "statement": statement,
        "content": statement.content,
        "priorities": priorities,
        "introduction": statement.words.get(INTRODUCTION, ""),
        "earlier": earlier.order_by("-quarter_end"),
    }


def _published_statement(framework: str, quarter: str) -> Statement:
    try:
        day = date.fromisoformat(quarter)
    except ValueError:
        raise Http404("No such statement") from None
    return get_object_or_404(_published(), framework_code=framework, quarter_end=day)


@require_GET
def statement_detail(request, framework, quarter):
    """The published statement's permanent address: it never changes."""
    statement = _published_statement(framework, quarter)
    return render(request, DETAIL, {**_detail_context(statement), "pdf": False})


@require_GET
def statement_pdf(request, framework, quarter):
    statement = _published_statement(framework, quarter)
    html = render_to_string(DETAIL, {**_detail_context(statement), "pdf": True}, request=request)
    response = HttpResponse(html_to_pdf(html), content_type="application/pdf")
    # A file name in hyphens, not the framework's stored code with its underscores.
    name = f"statement-{framework.replace('_', '-')}-{statement.quarter_end.isoformat()}"
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


urlpatterns = [
    path("statements/", statement_list, name="statement_list"),
    path("statements/drafts/new/", statement_create, name="statement_create"),
    path("statements/drafts/<int:pk>/", statement_edit, name="statement_edit"),
    path("statements/drafts/<int:pk>/approve/", statement_approve_view, name="statement_approve"),
    path("statements/drafts/<int:pk>/publish/", statement_publish_view, name="statement_publish"),
    path("statements/<slug:framework>/<str:quarter>/", statement_detail, name="statement_detail"),
    path("statements/<slug:framework>/<str:quarter>.pdf", statement_pdf, name="statement_pdf"),
]
