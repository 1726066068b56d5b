"""A coder sees nothing of the study but her assignments, blind to who and when.

Every test first creates data that could leak: the dyads' names and study ids, the
timepoint, the recording date and file path, the other coder's ratings.
"""

import datetime as dt
import re

import pytest

from nurture.accounts import scoping
from nurture.coding import domain as coding
from nurture.common.errors import DomainError

from .conftest import ALL_FOURS, assign_all, record

LEAKS = ["Aurelia", "Leakwell", "Bettina", "Hidden", "Babyname", "NC-", "videos", "Pre (entry)", "Post",
         "2026-01-02", "Jan 2026", "Cohort 1", "Cohort 2", "Site A"]


def assert_blind(html: str):
    found = [word for word in LEAKS if re.search(rf"(?<![\w-]){re.escape(word)}", html)]
    assert found == []


def test_scoping_gives_a_coder_no_dyads_cohorts_sessions_or_sites(world, coders, recordings):
    coder = coders[0]
    assign_all(world, coders)
    assert not scoping.visible_dyads(coder).exists()
    assert not scoping.visible_cohorts(coder).exists()
    assert not scoping.visible_sessions(coder).exists()
    assert not scoping.visible_sites(coder).exists()
    assert not scoping.can_view_identifiers(coder)
    assert not coding.visible_recordings(coder).exists()
    assert set(coding.visible_assignments(coder).values_list("coder", flat=True)) == {coder.pk}


@pytest.mark.parametrize("url", ["/cohorts/", "/participants/", "/evaluation/", "/alerts/", "/coding/manage/",
                                 "/coding/reliability/", "/admin/", "/participants/1/", "/evaluation/report/"])
def test_every_study_page_is_refused_to_a_coder(world, coders, client_for, url):
    response = client_for(coders[0]).get(url)
    assert response.status_code in (302, 403)
    if response.status_code == 302:  # the admin sends non-staff users to its own login
        assert "/admin/login/" in response["Location"]


def test_the_home_page_takes_a_coder_to_her_coding(world, coders, client_for):
    response = client_for(coders[0]).get("/")
    assert response.status_code == 302 and response["Location"] == "/coding/"


def test_the_coders_list_and_forms_show_blind_codes_only(world, coders, recordings, client_for):
    assign_all(world, coders)
    client = client_for(coders[0])
    page = client.get("/coding/").content.decode()
    assert_blind(page)
    mine = list(coding.visible_assignments(coders[0]).open())
    for assignment in mine:
        assert assignment.unit.blind_code in page
        form = client.get(f"/coding/a/{assignment.token}/").content.decode()
        assert_blind(form)
        assert "Free play · 6:40" in form


def test_blind_codes_and_tokens_are_random_not_sequential(world, recordings):
    codes = [r.blind_code for r in recordings]
    assert all(re.fullmatch(r"R-[ACDEFGHJKMNPQRTUVWXY34679]{5}", c) for c in codes)
    assert len(set(codes)) == 4


def test_the_coders_order_is_random_not_the_order_of_registration(world, coders):
    for n in range(10):
        record(world, world.dyad1 if n % 2 else world.dyad2, "pre" if n < 5 else "post",
               task=["free_play", "teaching", "feeding", "book_sharing", "face_to_face"][n % 5])
    assign_all(world, coders, share=0)
    listed = [a.recording_id for a in coding.visible_assignments(coders[0]).open()]
    assert listed != sorted(listed)


def test_another_coders_ratings_stay_hidden_until_both_are_in(world, coders, recordings, client_for):
    assign_all(world, coders, share=1.0)
    ana, ben = coders
    a_first = coding.visible_assignments(ana).filter(recording=recordings[0]).get()
    b_first = coding.visible_assignments(ben).filter(recording=recordings[0]).get()
    coding.submit_ratings(ben, b_first, {**ALL_FOURS, "warmth": 1})
    client = client_for(ana)
    assert client.get(f"/coding/compare/{recordings[0].blind_code}/").status_code == 404
    assert client.get(f"/coding/a/{b_first.token}/").status_code == 404  # not hers
    coding.submit_ratings(ana, a_first, ALL_FOURS)
    page = client.get(f"/coding/compare/{recordings[0].blind_code}/")
    assert page.status_code == 200 and "coder_ben" in page.content.decode()
    assert_blind(page.content.decode())


@pytest.mark.parametrize("location,what", [
    ("share/NC-0001.mp4", "the study id"),
    ("share/nc0001.mp4", "the study id"),
    ("share/R-XXXXX_post.mp4", "the timepoint"),
    ("share/baseline/R-XXXXX.mp4", "the timepoint"),
    ("share/2026-01-02/R-XXXXX.mp4", "the recording date"),
    ("share/Aurelia.mp4", "a name"),
])
def test_the_coders_copy_must_not_reveal_who_or_when(world, location, what):
    world.dyad1.code = "NC-0001"
    with pytest.raises(DomainError, match=what):
        record(world, world.dyad1, "pre", coder_location=location)


def test_a_clean_coder_location_is_kept_and_shown_to_the_coder(world, coders, client_for):
    recording = record(world, world.dyad1, "pre", coder_location="Coding drive/batch 3/clip-17.mp4")
    assign_all(world, coders, share=0)
    assignment = recording.assignments.get()
    page = client_for(assignment.coder).get(f"/coding/a/{assignment.token}/").content.decode()
    assert "Coding drive/batch 3/clip-17.mp4" in page


def test_coders_of_another_study_site_are_not_eligible(world, coders):
    from nurture.accounts.enums import Role

    from .. import factories as f

    elsewhere = f.make_user(Role.CODER, world.site_b, "coder_b")
    world.study.sites.remove(world.site_b)
    record(world, world.dyad1, "pre", day=dt.date(2026, 1, 3))
    with pytest.raises(DomainError, match="coder_b is not a coder of this study"):
        assign_all(world, [coders[0], elsewhere])
