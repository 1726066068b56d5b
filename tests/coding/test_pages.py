"""The coding pages as coders and coordinators use them."""


from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from nurture.analysis.agreement import icc
from nurture.coding import domain as coding
from nurture.coding.enums import Resolution
from nurture.coding.models import Recording, Segment
from nurture.common.formatting import fmt_number

from .conftest import ALL_FOURS, answer_feedback, assign_all, record


def rating_post(values, note=""):
    return {**{f"item_{k}": str(v) for k, v in values.items()}, "note": note}


def test_an_incomplete_rating_is_redisplayed_with_what_was_chosen(world, coders, recordings, client_for):
    assign_all(world, coders, share=0)
    assignment = coding.visible_assignments(coders[0]).open().first()
    partial = {k: v for k, v in ALL_FOURS.items() if k != "reciprocity"}
    response = client_for(coders[0]).post(f"/coding/a/{assignment.token}/", rating_post(partial, "hard to see"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Rate every item: Reciprocity is not rated." in page
    assert 'name="item_warmth" value="4" id="id_item_warmth_3" checked' in page
    assert "hard to see" in page
    assignment.refresh_from_db()
    assert assignment.is_open


def test_submitting_goes_straight_to_the_next_assignment(world, coders, recordings, client_for):
    assign_all(world, coders, share=0)
    first, second = list(coding.visible_assignments(coders[0]).open())[:2]
    response = client_for(coders[0]).post(f"/coding/a/{first.token}/", rating_post(ALL_FOURS))
    assert response.status_code == 302 and response["Location"] == f"/coding/a/{second.token}/"
    first.refresh_from_db()
    assert not first.is_open and first.values == ALL_FOURS


def test_a_segment_is_coded_with_checkboxes_and_needs_one_code(world, coders, client_for):
    answer_feedback(world, world.dyad1, {"open_helpful": "Learning what her cries mean", "open_change": "",
                                         "open_other": ""})
    coding.segment_feedback(world.coordinator, world.study)
    assign_all(world, coders, kind="segment", share=0)
    assignment = coding.visible_assignments(coders[0]).first() or coding.visible_assignments(coders[1]).first()
    client = client_for(assignment.coder)
    page = client.get(f"/coding/a/{assignment.token}/").content.decode()
    assert "Learning what her cries mean" in page and "Open answer · What helped you most?" in page
    response = client.post(f"/coding/a/{assignment.token}/", {"codes": []})
    assert "Choose at least one code" in response.content.decode()
    response = client.post(f"/coding/a/{assignment.token}/", {"codes": ["reading_cues"]})
    assert response.status_code == 302
    assert Segment.objects.get().resolution == Resolution.SINGLE


def test_the_coders_list_takes_a_fixed_number_of_queries(world, coders, client_for):
    client = client_for(coders[0])
    tasks = ["free_play", "teaching", "feeding", "book_sharing", "face_to_face", "other"]
    combos = iter([(d, t, k) for d in (world.dyad1, world.dyad2) for t in ("pre", "post") for k in tasks])

    def queries(n):
        for _ in range(n):
            dyad, timepoint, task = next(combos)
            record(world, dyad, timepoint, task=task)
        assign_all(world, coders, share=1.0, seed=n)
        for a in list(coding.visible_assignments(coders[0]).open())[: n // 2 + 1]:
            coding.submit_ratings(coders[0], a, ALL_FOURS)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/coding/").status_code == 200
        return len(ctx)

    assert queries(1) == queries(8)


def test_a_coordinator_registers_a_recording_and_a_revealing_copy_is_refused_keeping_the_form(world, client_for):
    client = client_for(world.coordinator)
    data = {"dyad": world.dyad1.pk, "timepoint": "post", "recorded_on": "2026-04-01", "task": "free_play",
            "minutes": 6, "seconds": 30, "location": "//site-a/videos/2026/clip.mp4",
            "coder_location": "coding/post/clip.mp4"}
    response = client.post("/coding/manage/recordings/new/", data)
    page = response.content.decode()
    assert response.status_code == 200 and "shows the timepoint" in page
    assert 'value="//site-a/videos/2026/clip.mp4"' in page
    data["coder_location"] = "coding/clip-4.mp4"
    response = client.post("/coding/manage/recordings/new/", data)
    assert response.status_code == 302
    recording = Recording.objects.get()
    assert recording.duration_seconds == 390
    manage = client.get("/coding/manage/").content.decode()
    assert recording.blind_code in manage and world.dyad1.code in manage


def test_a_facilitator_and_an_outsider_cannot_manage_coding(world, client_for, recordings):
    assert client_for(world.facilitator).get("/coding/manage/").status_code == 403
    assert client_for(world.facilitator).get("/coding/reliability/").status_code == 403
    outsider_page = client_for(world.outsider).get("/coding/manage/").content.decode()
    assert world.dyad1.code not in outsider_page


def test_a_transcript_file_must_be_utf8_text(world, client_for):
    client = client_for(world.coordinator)
    bad = SimpleUploadedFile("fg.txt", "Señora".encode("latin-1"), content_type="text/plain")
    response = client.post("/coding/manage/transcripts/new/", {"title": "FG", "held_on": "2026-04-20",
                                                                "upload": bad})
    assert "not UTF-8 plain text" in response.content.decode()
    good = SimpleUploadedFile("fg.txt", b"M1: The songs.\n\nM2: Other mothers.", content_type="text/plain")
    response = client.post("/coding/manage/transcripts/new/", {"title": "FG", "held_on": "2026-04-20",
                                                                "upload": good})
    assert response.status_code == 302 and Segment.objects.count() == 2


def test_assigning_from_the_page_reports_the_batch(world, coders, recordings, client_for):
    client = client_for(world.coordinator)
    response = client.post("/coding/manage/assign/recording/", {
        "recording-coders": [c.pk for c in coders], "recording-share": 50}, follow=True)
    assert "Assigned 4 recorded interactions (2 double-coded, 6 assignments)." in response.content.decode()
    response = client.post("/coding/manage/assign/recording/", {"recording-coders": [c.pk for c in coders],
                                                                "recording-share": 50}, follow=True)
    assert "already has its coders" in response.content.decode()


def test_the_reliability_page_shows_the_icc_of_each_scale_to_coordinators_and_researchers(
        world, coders, recordings, client_for):
    assign_all(world, coders, share=1.0)
    pairs = []
    for rec, (w1, w2) in zip(recordings, [(1, 2), (2, 2), (3, 5), (5, 4)], strict=True):
        a, b = (rec.assignments.get(coder=c) for c in coders)
        coding.submit_ratings(coders[0], a, {**ALL_FOURS, "warmth": w1})
        coding.submit_ratings(coders[1], b, {**ALL_FOURS, "warmth": w2})
        pairs.append([(4 + w1 + 4 + 4) / 4, (4 + w2 + 4 + 4) / 4])
    expected = icc(pairs)["ICC2"]["estimate"]  # the same two coders coded every recording
    for user in (world.coordinator, world.researcher):
        page = client_for(user).get("/coding/reliability/").content.decode()
        assert "Maternal sensitivity" in page
        assert f"{fmt_number(expected)} <span class=\"muted\">(ICC2)</span>" in page
