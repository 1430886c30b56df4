"""Plan pages: the home page lists themes, priorities and the measures the user may see."""

import yaml
from crispy_forms_gds.layout import Field
from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from pcc_dashboard.forms import gds_helper
from pcc_dashboard.roles import can, require
from priorities.plan_file import PlanFileError, plan_dump_yaml, plan_export, plan_import
from priorities.selectors import plan_tree
from reports.selectors import next_meetings_for, snapshots_visible_to
from returns.selectors import returns_owed, working_date


def home(request):
    context = plan_tree(request.user)
    context["can_edit_plan"] = can(request.user, "edit_plan")
    if can(request.user, "view_meetings"):
        context["next_meetings"] = next_meetings_for(request.user, today=working_date())
        context["perms_panel_report"] = can(request.user, "view_panel_report")
    if can(request.user, "upload_return"):
        context["returns_owed"] = returns_owed(request.user)
    latest = snapshots_visible_to(request.user).first()
    if latest is not None:
        as_of = latest.as_of.isoformat()
        context["latest_snapshot"] = latest
        context["latest_snapshot_url"] = reverse("snapshot_overview", args=[as_of])
        context["measure_url_prefix"] = reverse("snapshot_overview", args=[as_of]) + "measures/"
    return render(request, "priorities/home.html", context)


MAX_PLAN_BYTES = 1024 * 1024


class PlanFileForm(forms.Form):
    file = forms.FileField(
        label="Upload the edited plan file",
        help_text="The YAML file downloaded from this page, edited. Up to 1 MB.",
        error_messages={"required": "Select the plan file", "empty": "The selected file is empty"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = gds_helper(self, Field("file"))


@require_http_methods(["GET", "POST"])
@require("edit_plan")
def plan_file(request):
    """The co-ordinator downloads the plan file (?download=1) or uploads an edited one."""
    if request.method == "GET" and request.GET.get("download"):
        response = HttpResponse(plan_dump_yaml(plan_export()), content_type="application/yaml; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="plan.yaml"'
        return response
    form = PlanFileForm(request.POST or None, request.FILES or None)
    problem = ""
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > MAX_PLAN_BYTES:
                raise PlanFileError(f"{upload.name}: the file is larger than 1 MB")
            data = yaml.safe_load(upload.read().decode("utf-8"))
            if not isinstance(data, dict):
                raise PlanFileError(f"{upload.name}: the file must hold a mapping with plan, themes and measures")
            count = plan_import(data=data)
        except UnicodeDecodeError:
            problem = f"{upload.name}: the file is not UTF-8 text. Save it as UTF-8 and upload it again."
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            problem = f"{upload.name}: not valid YAML{where}. Check the indentation there and upload it again."
        except PlanFileError as exc:
            problem = f"{exc}. Nothing was changed."
        else:
            if count.changed:
                messages.success(request, f"Plan updated from {upload.name}: " + "; ".join(count.details[:20]))
            else:
                messages.info(request, f"No change: the plan already matches {upload.name}.")
            return redirect("plan_file")
    return render(request, "priorities/plan_file.html", {"form": form, "problem": problem})
