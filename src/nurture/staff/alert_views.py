"""Staff pages for safety alerts: the list, and one alert with its messages, its history
and the forms to acknowledge and close it."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from nurture.instruments import library
from nurture.notifications.enums import NotificationStatus
from nurture.safety import domain as safety
from nurture.safety.enums import AlertOutcome, AlertStatus

from .actions import attempt

PAGE_SIZE = 50
VIEWS = {"unresolved": "Open and acknowledged", "open": "Not yet acknowledged", "all": "All, including closed"}


def _count(notifications):
    """How many of an alert's messages ``notifications`` holds, as a correlated subquery:
    worked out for the alerts shown, not by grouping every alert with its messages."""
    return Coalesce(Subquery(notifications.filter(alert=OuterRef("pk")).order_by().values("alert")
                             .annotate(n=Count("pk")).values("n")), 0)


def with_delivery(alerts):
    """Annotate how many messages each alert queued and how many failed (no extra query)."""
    from nurture.notifications.models import Notification

    return alerts.annotate(n_messages=_count(Notification.objects.all()),
                           n_failed=_count(Notification.objects.filter(
                               status__in=[NotificationStatus.RETRYING, NotificationStatus.FAILED])))


@login_required
def alert_list(request):
    view = request.GET.get("view", "unresolved")
    if request.GET.get("all") == "1":
        view = "all"
    if view not in VIEWS:
        view = "unresolved"
    alerts = safety.visible_alerts(request.user).select_related("dyad", "acknowledged_by", "closed_by")
    if view == "unresolved":
        alerts = alerts.unresolved()
    elif view == "open":
        alerts = alerts.open()
    alerts = with_delivery(alerts).order_by("-created_at", "-pk")
    page = Paginator(alerts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "staff/alert_list.html", {"alerts": page.object_list, "page": page, "view": view,
                                                     "views": VIEWS})


class AcknowledgeForm(forms.Form):
    action_taken = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Action taken",
                                   help_text="What you did or are doing, so a colleague can pick it up.")


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(choices=AlertOutcome.choices, widget=forms.RadioSelect, label="Outcome")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Note",
                           help_text="What was done and how she is.")


def _local(site, moment) -> str:
    """A moment in the site's own time zone, with the zone (the date filter would use the server's)."""
    local = site.local(moment)
    return f"{local:%a %d %b %Y %H:%M} {local.tzname()}"


@login_required
@require_http_methods(["GET", "POST"])
def alert_detail(request, pk):
    alert = get_object_or_404(safety.visible_alerts(request.user).select_related(
        "dyad", "assessment", "site", "previous", "acknowledged_by", "closed_by"), pk=pk)
    action = request.POST.get("action") if request.method == "POST" else None
    ack_form = AcknowledgeForm(request.POST if action == "acknowledge" else None, prefix="ack")
    close_form = CloseForm(request.POST if action == "close" else None, prefix="close")
    if action == "acknowledge" and ack_form.is_valid():
        if attempt(ack_form, lambda: safety.acknowledge_alert(request.user, alert,
                                                              ack_form.cleaned_data["action_taken"],
                                                              seen=request.POST.get("seen"))):
            messages.success(request, f"Alert for {alert.dyad.code} acknowledged.")
            return redirect("staff:alert", pk=alert.pk)
    if action == "close" and close_form.is_valid():
        d = close_form.cleaned_data
        if attempt(close_form, lambda: safety.close_alert(request.user, alert, d["outcome"], d["note"])):
            messages.success(request, f"Alert for {alert.dyad.code} closed.")
            return redirect("staff:alert", pk=alert.pk)
    lib = library()
    inst = lib.get(alert.instrument) if alert.instrument in lib else None
    responders = [r for r in safety.site_safety(alert.site_id).clinical_responder_roles]
    return render(request, "staff/alert_detail.html", {
        "alert": alert, "ack_form": ack_form, "close_form": close_form,
        "instrument_name": inst.short_name if inst else alert.instrument.upper(),
        "raised_local": _local(alert.site, alert.created_at), "site_zone": alert.site.zone,
        "seen": safety.seen_marker(alert),
        "notifications": alert.notifications.order_by("created_at", "pk"),
        "events": alert.events.select_related("by"),
        "can_close": safety.can_close(request.user, alert) and alert.status != AlertStatus.CLOSED,
        "responder_roles": ", ".join(f"{r}s" for r in responders) or "nobody yet",
        "ended": safety.ended_text(alert.dyad),
    })
