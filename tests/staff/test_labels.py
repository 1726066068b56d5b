"""Clinical pages speak in names, not the codes the data keeps."""

from nurture.capture import domain as capture
from nurture.capture.enums import Timepoint
from nurture.instruments import library
from nurture.safety.models import Alert
from nurture.staff import labels

from .. import factories as f


def test_the_assessment_page_names_scales_and_language_and_drops_stray_decimals(world, client_for):
    world.dyad1.mother.language = "es"
    world.dyad1.mother.save()
    assessment = capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)
    capture.save_answers(assessment, "epds", f.epds_answers(level=1))
    capture.submit_assessment(assessment)
    html = client_for(world.coordinator).get(f"/assessments/{assessment.pk}/").content.decode()
    anxiety = library().get("epds").scale("anxiety_3a").name["en"]
    assert anxiety in html and "anxiety_3a" not in html
    assert "Language: Español" in html and "language es" not in html
    assert assessment.scores.get(instrument="epds", scale="total").score == 9.0
    assert "<td>9</td>" in html and "9.0" not in html


def test_the_alert_page_names_the_item_and_the_score(world, client_for):
    assessment = capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)
    capture.save_answers(assessment, "epds", f.epds_answers(self_harm_keyed=2))
    alert = Alert.objects.get(rule="self_harm")
    html = client_for(world.coordinator).get(f"/alerts/{alert.pk}/").content.decode()
    item = library().get("epds").item("10").label["en"]
    assert f"item 10 · {item}: scored 2" in html and "scored 2.0" not in html


def test_labels_for_codes_outside_the_library_fall_back_to_the_code():
    assert labels.instrument_label("epds") == "EPDS" and labels.instrument_label("retired") == "RETIRED"
    assert labels.scale_label("epds", "no_such_scale") == "no_such_scale"
    assert labels.option_label("epds", "10", "") == "blank" and labels.option_label("epds", "10", "na") == \
        "does not apply"
    assert labels.subject_label("epds", "scale total") == labels.scale_label("epds", "total") != "total"
