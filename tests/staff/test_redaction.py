"""The redaction policy on every page a researcher can reach: a crawl from her start page
with identifiers planted in every staff-typed free-text field and exact dates that would
give a birth week. The same crawl as a coordinator finds them, so the test can fail."""

import datetime as dt
import re
from collections import deque

import pytest

from nurture.common import formatting
from nurture.participants import domain as participants
from nurture.participants.eligibility import CRITERIA
from nurture.participants.enums import EnrollmentStatus
from nurture.program import domain as program
from nurture.program.models import Session

from .. import factories as f

PLANTED = ["Dr Plantedreferrer", "moved to 12 Secretive Lane", "Screener saw Plantedname", "Fidelity note Plantedname"]
REFERRED = dt.date(2025, 12, 1)
ENROLLED = dt.date(2025, 12, 8)


@pytest.fixture
def planted(world):
    referral = f.make_referral(world.study, world.site_a, first_name="Zelda", last_name="Plantedname",
                               referral_source=PLANTED[0])
    criteria = dict.fromkeys(CRITERIA, True) | {next(iter(CRITERIA)): False}
    participants.screen(None, referral, criteria=criteria, screened_on=dt.date(2025, 12, 3), note=PLANTED[2])
    participants.change_status(None, world.dyad2, EnrollmentStatus.WITHDRAWN, effective_on=dt.date(2026, 1, 20),
                               reason=PLANTED[1])
    world.dyad1.referral_source = PLANTED[0]
    world.dyad1.save()
    session = Session.objects.filter(cohort=world.cohort1, week=1).order_by("component").first()
    program.record_fidelity(None, session, program.session_plan(session).activities[:1], notes=PLANTED[3])
    return world


def exact_dates() -> list[str]:
    out = []
    for day in (REFERRED, ENROLLED, dt.date(2025, 12, 3), dt.date(2026, 1, 5), dt.date(2026, 1, 20)):
        out += [day.isoformat(), formatting.fmt_date(day), formatting.fmt_short_date(day)]
    return out


def crawl(client, start="/", limit=200) -> dict[str, str]:
    seen, queue, pages = {start}, deque([start]), {}
    while queue and len(pages) < limit:
        url = queue.popleft()
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        pages[url] = html
        for href in re.findall(r'href="(/[^"#]*)"', html):
            href = href.replace("&amp;", "&")
            if href.startswith(("/static/", "/admin/", "/logout", "/evaluation/report")) or href in seen:
                continue
            seen.add(href)
            queue.append(href)
    return pages


def leaks(pages: dict[str, str], needles: list[str]) -> list[tuple[str, str]]:
    return [(url, needle) for url, html in pages.items() for needle in needles if needle in html]


def test_a_researcher_sees_no_free_text_and_no_exact_dates_on_any_page(planted, client_for):
    pages = crawl(client_for(planted.researcher))
    assert any(url.startswith("/participants/") and url != "/participants/" for url in pages)
    assert any("/week/" in url for url in pages)
    assert leaks(pages, PLANTED + exact_dates() + ["Leakwell", "leak@example.org"]) == []
    assert "day 0" in pages[f"/participants/{planted.dyad1.pk}/"]


def test_the_same_crawl_as_a_coordinator_finds_what_was_planted(planted, client_for):
    pages = crawl(client_for(planted.coordinator))
    found = {needle for _, needle in leaks(pages, PLANTED + exact_dates())}
    assert set(PLANTED) <= found
    assert {REFERRED.isoformat(), formatting.fmt_date(REFERRED)} & found


def test_a_researcher_cannot_download_free_text(planted, client_for):
    response = client_for(planted.researcher).post("/evaluation/bundle/", {"free_text": "1"})
    assert response.status_code == 403
