"""The staff pages a coordinator, a facilitator and an administrator wait for — the
dashboard, the participant list, a cohort's week page and the alert list — cost the same
number of queries for a study of one site with three dyads as for one of three sites with
dozens: no query per row (``bench/staff_pages.py`` times them at 12,000 dyads). Long
lists come a page at a time."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from nurture.accounts import scoping
from nurture.accounts.enums import Role
from nurture.program.enums import CohortStatus
from nurture.safety import domain as safety

from .. import factories as f
from .. import scale

NOW = dt.datetime(2026, 6, 10, 15, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 6, 10)


def _queries(client, path) -> tuple[int, str, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(captured), "\n".join(q["sql"] for q in captured.captured_queries), response.content.decode()


def _pages(week_cohort) -> dict[str, list[str]]:
    return {"dashboard": ["/"], "participants": ["/participants/", "/participants/?page=2"],
            "week": [f"/cohorts/{week_cohort.pk}/week/1/"], "alerts": ["/alerts/", "/alerts/?view=all"],
            "cohorts": ["/cohorts/", "/cohorts/?page=2"]}


def _in_progress(cohorts):
    return next(c for c in cohorts if c.status == CohortStatus.IN_PROGRESS)


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.FACILITATOR, Role.ADMINISTRATOR])
@time_machine.travel(NOW, tick=False)
def test_staff_pages_cost_the_same_queries_however_many_rows(db, client, role):
    study = f.make_study()
    small = scale.build(study, sites=1, cohorts=1, dyads=3, today=TODAY)
    user = {Role.COORDINATOR: small.coordinators[0], Role.FACILITATOR: small.facilitators[0],
            Role.ADMINISTRATOR: f.make_user(Role.ADMINISTRATOR, None, "admin")}[role]
    client.force_login(user)
    pages = _pages(_in_progress(small.cohorts))
    for paths in pages.values():
        client.get(paths[0])  # warm what is cached once per process (content types, the library)
    before = {name: _queries(client, paths[0]) for name, paths in pages.items()}
    open_before = safety.visible_alerts(user).open().count()
    assert 0 < open_before < 5

    # The user's own site grows to three cohorts and 27 dyads; two more sites join.
    grown = scale.build(study, sites=small.sites, cohorts=2, dyads=12, today=TODAY)
    scale.build(study, sites=2, cohorts=3, dyads=6, today=TODAY)
    # ... including the alert bar's, which shows five open alerts and counts the rest.
    assert safety.visible_alerts(user).open().count() >= 5
    after = {name: [_queries(client, path) for path in paths]
             for name, paths in _pages(_in_progress(grown.cohorts)).items()}
    for name, measured in after.items():
        for n, sql, _ in measured:
            assert n == before[name][0], f"{name}: {before[name][0]} queries, then {n}:\n{sql}"

    # The pages show the bigger study, not an empty page.
    dashboard, participants, week, alerts = (after[k][0][2] for k in ("dashboard", "participants", "week", "alerts"))
    week_cohort = _in_progress(grown.cohorts)
    assert week_cohort.name in dashboard and week_cohort.name in week
    roster = list(week_cohort.dyads.values_list("code", flat=True))
    assert len(roster) == 12 and all(code in week for code in roster)
    visible = scoping.visible_dyads(user).order_by("code")
    assert f"{visible.count()} participants" in participants and "page 1 of " in participants
    page2 = after["participants"][1][2]
    assert "page 2 of " in page2 and visible[25].code in page2 and visible[25].code not in participants
    alert = safety.visible_alerts(user).exclude(dyad__cohort=_in_progress(small.cohorts)).first()
    assert alert is not None and alert.dyad.code in after["alerts"][1][2]
    assert '<a href="/alerts/' in alerts and "No alerts here." not in alerts
    assert all(c.name in after["cohorts"][0][2] for c in grown.cohorts)


@time_machine.travel(NOW, tick=False)
def test_long_lists_come_a_page_at_a_time(db, client, monkeypatch):
    from nurture.staff import alert_views, views

    monkeypatch.setattr(views, "DASHBOARD_ROWS", 2)
    monkeypatch.setattr(alert_views, "PAGE_SIZE", 2)
    monkeypatch.setattr(views, "COHORT_PAGE_SIZE", 4)
    study = f.make_study()
    built = scale.build(study, sites=2, cohorts=3, dyads=6, today=TODAY)  # two cohorts in progress per site
    client.force_login(f.make_user(Role.ADMINISTRATOR, None, "admin"))
    dashboard = client.get("/").content.decode()
    in_progress = [c for c in built.cohorts if c.status == CohortStatus.IN_PROGRESS]
    assert len(in_progress) == 4 and dashboard.count("and 2 more") == 2  # today's meetings, cohorts in progress
    today, table = dashboard.split("Cohorts in progress")
    assert sum(c.name in today for c in in_progress) == 2
    earliest = sorted(in_progress, key=lambda c: (c.start_date, c.name))
    assert [c.name in table for c in earliest] == [True, True, False, False]
    alerts = list(safety.visible_alerts(scale.User.objects.get(username="admin")).order_by("-created_at", "-pk"))
    assert len(alerts) > 4
    first, second = (client.get(f"/alerts/?view=all&page={n}").content.decode() for n in (1, 2))
    assert f"page 1 of {(len(alerts) + 1) // 2}" in first and 'href="?view=all&amp;page=2" rel="next"' in first
    assert f'href="/alerts/{alerts[2].pk}/"' in second and f'href="/alerts/{alerts[2].pk}/"' not in first
    newest_first = sorted(built.cohorts, key=lambda c: (c.start_date, c.pk), reverse=True)
    first, second = (client.get(f"/cohorts/?page={n}").content.decode() for n in (1, 2))
    assert len(newest_first) == 6 and "page 1 of 2" in first and 'href="?page=2" rel="next"' in first
    assert [f'href="/cohorts/{c.pk}/"' in first for c in newest_first] == [True] * 4 + [False] * 2
    assert [f'href="/cohorts/{c.pk}/"' in second for c in newest_first] == [False] * 4 + [True] * 2


def test_the_quick_select_writes_what_djangos_select_writes():
    from django import forms
    from django.utils.safestring import mark_safe

    from nurture.staff.forms import QuickSelect

    choices = [("", "All <cohorts>"), (1, "Mothers & babies' group"), (2, mark_safe("<b>Two</b>")),
               ("Site <B>", [(3, "Three"), (4, "Four")])]
    for value in ("", "2", "4", None):
        attrs = {"id": "id_cohort", "required": False, "autofocus": True}
        assert (QuickSelect(choices=choices, attrs=attrs).render("cohort", value)
                == forms.Select(choices=choices, attrs=attrs).render("cohort", value))


def test_the_participant_list_filters_by_a_visible_cohort_only(world, client_for):
    client = client_for(world.coordinator)
    page = client.get(f"/participants/?cohort={world.cohort2.pk}").content.decode()
    assert world.dyad2.code in page and world.dyad1.code not in page
    assert f'<option value="{world.cohort2.pk}" selected>Cohort 2</option>' in page
    assert f'<option value="{world.cohort_b.pk}"' not in page
    other = client.get(f"/participants/?cohort={world.cohort_b.pk}").content.decode()  # another site's: refused
    assert world.dyad_b.code not in other and world.dyad1.code in other
