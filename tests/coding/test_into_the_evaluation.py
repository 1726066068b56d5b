"""Coded data in the study bundle, the analysis and the report."""

import datetime as dt
import json

import pytest

from nurture.analysis.bundle import load_bundle_files
from nurture.analysis.coded import scale_reliability
from nurture.analysis.efficacy import paired_frame
from nurture.analysis.results import analyse, analysed_scores, to_json
from nurture.coding import domain as coding
from nurture.common.errors import NotPermitted
from nurture.exports.bundle import collect, render
from nurture.instruments import library
from nurture.reports.catalogue import build_catalogue
from nurture.reports.html import build_figures, render_html

from .conftest import ALL_FOURS, NOW, answer_feedback, assign_all


@pytest.fixture
def coded(world, coders, recordings):
    """Both dyads at pre and post, every recording double-coded by the same two coders;
    one feedback answer per dyad, double-coded; one disagreement still open."""
    assign_all(world, coders, share=1.0)
    warmth = {0: (2, 2), 1: (4, 5), 2: (3, 3), 3: (5, 2)}  # the last pair is 3 points apart
    for n, rec in enumerate(recordings):
        for coder, value in zip(coders, warmth[n], strict=True):
            coding.submit_ratings(coder, rec.assignments.get(coder=coder), {**ALL_FOURS, "warmth": value},
                                  now=NOW + dt.timedelta(days=n))
    answer_feedback(world, world.dyad1, {"open_helpful": "Bettina and the other mothers", "open_change": "",
                                         "open_other": ""})
    answer_feedback(world, world.dyad2, {"open_helpful": "Learning her signals", "open_change": "",
                                         "open_other": ""})
    coding.segment_feedback(world.coordinator, world.study)
    assign_all(world, coders, kind="segment", share=1.0)
    for seg, codes in zip(coding.Segment.objects.order_by("pk"), [["not_alone"], ["reading_cues"]], strict=True):
        for coder in coders:
            coding.submit_codes(coder, seg.assignments.get(coder=coder), codes, now=NOW)
    return recordings


def bundle_of(user, study, **kwargs):
    return load_bundle_files(render(collect(user, study, **kwargs)), "test")


def test_observations_csv_has_final_scores_and_each_coders_own_scores(world, coded):
    data = collect(world.coordinator, world.study, deidentified=False)
    obs = data.tables["observations.csv"]
    maternal = obs[obs["scale"] == "maternal"].set_index("recording")
    first = maternal.loc[coded[0].blind_code]
    assert (first["participant_id"], first["timepoint"], first["scheme"]) == (world.dyad1.code, "pre",
                                                                               "dyadic_interaction")
    assert first["score"] == "3.5" and first["resolution"] == "agreed"
    assert (first["coder_1"], first["coder_2"]) in (("C1", "C2"), ("C2", "C1"))
    assert first["coded_on_1"] == "2026-05-04"
    waiting = maternal.loc[coded[3].blind_code]
    assert waiting["resolution"] == "needs_consensus" and waiting["score"] == ""
    assert sorted([waiting["score_1"], waiting["score_2"]]) == ["3.5", "4.25"]


def test_a_de_identified_bundle_keeps_coding_order_but_no_dates_names_or_text(world, coded):
    data = collect(world.coordinator, world.study, deidentified=True)
    obs = data.tables["observations.csv"]
    assert set(obs["participant_id"]) <= set(data.key) and world.dyad1.code not in set(obs["participant_id"])
    assert sorted(set(obs["coded_on_1"]) | set(obs["coded_on_2"]) - {""}) == ["0", "1", "2", "3"]
    segments = data.tables["coded_segments.csv"]
    assert set(segments["text"]) == {""}
    assert set(segments["codes"]) == {"not_alone", "reading_cues"}
    with_text = collect(world.coordinator, world.study, deidentified=True, free_text=True)
    assert "[name] and the other mothers" in set(with_text.tables["coded_segments.csv"]["text"])
    feedback = with_text.tables["feedback.csv"]
    assert set(feedback[feedback["question"] == "open_helpful"]["themes"]) == {"Connection with other mothers",
                                                                               "Understanding my baby"}


def test_coders_cannot_export(world, coders):
    with pytest.raises(NotPermitted):
        collect(coders[0], world.study, deidentified=True)


def test_the_analysis_reports_reliability_and_observed_change_from_the_bundle(world, coded):
    bundle = bundle_of(world.coordinator, world.study, deidentified=True, free_text=True)
    results = analyse(bundle, build_catalogue(library()), n_boot=0)
    observed = results["coding"]["observations"][0]
    assert (observed["n_recordings"], observed["n_double_coded"]) == (4, 4)
    maternal = observed["scales"][0]
    assert maternal["name"] == "Maternal sensitivity" and maternal["icc_form"] == "ICC2"
    pairs = coding.observation_pairs(world.study)
    live = scale_reliability(pairs)[0]
    assert maternal["icc"]["estimate"] == pytest.approx(live["icc"]["estimate"], rel=1e-12)
    # dyad 2's post recording waits for consensus: one complete pair, too few for a paired analysis
    measure = next(m for m in results["efficacy"]["measures"]
                   if m["instrument"] == "dyadic_interaction" and m["scale"] == "maternal")
    assert measure["n"] == 1 and measure["diff"] is None
    themes = results["acceptability"]["coded_themes"][0]["themes"]
    assert {t["label"]: t["n_segments"] for t in themes} == {"Connection with other mothers": 1,
                                                            "Understanding my baby": 1}
    assert themes[0]["quotes"] in (["[name] and the other mothers"], ["Learning her signals"])
    assert results["coding"]["themes"][0]["agreement"]["identical"] == 1.0


def test_observed_measures_enter_efficacy_once_consensus_completes_the_pairs(world, coders, coded):
    unit = coded[3]
    unit.refresh_from_db()
    coding.record_consensus(coders[0], unit, {**ALL_FOURS, "warmth": 4})
    bundle = bundle_of(world.coordinator, world.study, deidentified=True)
    results = analyse(bundle, build_catalogue(library()), n_boot=0)
    measure = next(m for m in results["efficacy"]["measures"]
                   if m["instrument"] == "dyadic_interaction" and m["scale"] == "maternal")
    assert measure["label"] == "Dyadic rating Maternal sensitivity (observed)"
    assert measure["lower_is_better"] is False and measure["n"] == 2
    # pre 3.5 (warmth 2, 2) and 3.75 (3, 3); post 4.125 (4 and 5: mean 4.5) and 4.0 (consensus 4)
    assert measure["pre"]["mean"] == pytest.approx((3.5 + 3.75) / 2)
    assert measure["post"]["mean"] == pytest.approx((4.125 + 4.0) / 2)
    # the paired-lines figure draws the observed measure from the same scores (its mean line ends at the post mean)
    pairs = paired_frame(analysed_scores(bundle))
    observed = pairs[(pairs["instrument"] == "dyadic_interaction") & (pairs["scale"] == "maternal")]
    assert observed["post"].mean() == pytest.approx((4.125 + 4.0) / 2)
    assert "sensitivity (observed)" in build_figures(json.loads(to_json(results)), pairs)["paired"]


def test_the_report_shows_coded_themes_with_quotes_and_reliability(world, coded):
    results = analyse(bundle_of(world.coordinator, world.study, deidentified=True, free_text=True),
                      build_catalogue(library()), n_boot=0)
    html = render_html(results, {}, {})
    assert "Themes coded from open answers and transcripts" in html
    assert "“[name] and the other mothers”" in html and "Bettina" not in html
    assert "6. Coded data: reliability between coders" in html and "Maternal sensitivity" in html
