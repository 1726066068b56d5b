"""The evaluation report of the live study, and bundle downloads (audited exports)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from nurture.accounts import scoping
from nurture.accounts.enums import Role
from nurture.common.errors import NotPermitted
from nurture.program.models import Study

EVALUATORS = (Role.ADMINISTRATOR, Role.COORDINATOR, Role.RESEARCHER)


def _study(request) -> Study:
    try:
        scoping.require_role(request.user, *EVALUATORS)
    except NotPermitted as exc:
        raise PermissionDenied(str(exc)) from exc
    study = Study.objects.filter(sites__in=scoping.visible_sites(request.user)).distinct().order_by("pk").first()
    if study is None:
        raise Http404("No study at your site.")
    return study


@login_required
def evaluation(request):
    """Key numbers at a glance (live), then the report and the bundle downloads."""
    from django.utils import timezone

    from nurture.program.glance import study_at_a_glance

    study = _study(request)
    role = scoping.role_of(request.user)
    glance = study_at_a_glance(request.user, study, timezone.localdate())
    return render(request, "staff/evaluation.html", {
        "study": study, "glance": glance, "can_identified": role != Role.RESEARCHER,
        "handles_alerts": role != Role.RESEARCHER})


@login_required
def evaluation_report(request):
    """The full report (feasibility, acceptability, efficacy, harms, planning) of the current data, de-identified."""
    from nurture.exports.bundle import live_report_html

    return HttpResponse(live_report_html(request.user, _study(request)))


@login_required
@require_POST
def download_bundle(request):
    from nurture.exports.bundle import export_bundle

    study = _study(request)
    deidentified = request.POST.get("identified") != "1"
    folder = Path(tempfile.mkdtemp(prefix="nurture-export-"))
    try:
        path, _ = export_bundle(request.user, study, folder / "bundle.zip", deidentified=deidentified, as_zip=True,
                                free_text=request.POST.get("free_text") == "1",
                                ip_address=request.META.get("REMOTE_ADDR"))
        content = path.read_bytes()
    except NotPermitted as exc:
        raise PermissionDenied(str(exc)) from exc
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # nothing of the export stays in temporary files
    suffix = "deidentified" if deidentified else "identified"
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{study.slug}-{suffix}-bundle.zip"'
    return response
