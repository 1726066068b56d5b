"""Demo assessments: item-level answers shaped like the pilot findings.

Every enrolled dyad answers the pre-assessment; 26 answer the post-assessment. Parenting
stress and anxiety improve clearly, other measures change little. Answers are saved
and submitted through the capture domain, so scores and safety alerts come from the
real engine. All invented.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from nurture.capture import domain as capture
from nurture.capture.enums import Timepoint
from nurture.instruments import library
from nurture.safety.domain import acknowledge_alert, close_alert

# Level of the keyed answers as a share of each item's range (pre), and the change at post.
LEVEL = {"epds": (0.38, -0.07), "gad7": (0.42, -0.16), "pss": (0.42, -0.10), "kpcs": (0.78, 0.04),
         "rses": (0.55, 0.03), "pbq": (0.16, -0.02), "ibqr_vsf": (0.5, 0.0), "feedback": (0.85, 0.0)}
OPEN_ANSWERS = {
    "en": {"open_helpful": ["Meeting other mothers who felt the same", "Learning to read my baby's signals",
                            "The songs and the massage in the dyad group", "Having time for myself while my baby played"],
           "open_change": ["Longer sessions", "More sessions in person", "", "Help with transport"],
           "open_other": ["Thank you to the facilitators", "", "I would come again"]},
    "es": {"open_helpful": ["Conocer a otras madres que sentían lo mismo", "Aprender a entender a mi bebé",
                            "Las canciones y los masajes del grupo con los bebés"],
           "open_change": ["Sesiones más largas", "Más sesiones en persona", ""],
           "open_other": ["Gracias a las facilitadoras", "", "Volvería a venir"]},
}


def _answers(rng, inst, position: float, *, self_harm: int = 0) -> dict[str, str]:
    answers = {}
    for item in inst.items:
        if item.kind == "text":
            continue
        if rng.random() < 0.015 and item.id not in inst.safety_items:
            continue  # an occasional skipped question
        keyed_values = sorted({item.keyed(v) for v in item.values})
        lo, hi = keyed_values[0], keyed_values[-1]
        target = lo + (hi - lo) * min(max(position + rng.gauss(0, 0.18), 0), 1)
        keyed = min(keyed_values, key=lambda k: abs(k - target))
        value = next(v for v in item.values if item.keyed(v) == keyed)
        answers[item.id] = str(value)
    # Safety items are set on purpose, so the demo raises only the alerts it means to.
    quiet = {"epds": {"10": self_harm}, "pbq": {"18": 0, "24": 0}}.get(inst.id, {})
    for item_id, keyed in quiet.items():
        item = inst.item(item_id)
        answers[item_id] = str(next(v for v in item.values if item.keyed(v) == keyed))
    return answers


def _open_answers(rng, language: str) -> dict[str, str]:
    texts = OPEN_ANSWERS.get(language, OPEN_ANSWERS["en"])
    return {key: rng.choice(options) for key, options in texts.items()}


def _answer(rng, assessment, when: dt.datetime, z: float, post: bool, self_harm: int = 0) -> None:
    lib = library()
    for instrument_id in assessment.instruments:
        inst = lib.get(instrument_id)
        base, change = LEVEL.get(instrument_id, (0.5, 0.0))
        lower_is_better = inst.scales[0].lower_is_better
        sign = 1 if lower_is_better in (True, None) else -1
        position = base + sign * 0.12 * z + (change if post else 0.0)
        answers = _answers(rng, inst, position, self_harm=self_harm if instrument_id == "epds" else 0)
        if instrument_id == "feedback":
            answers |= _open_answers(rng, assessment.language)
        capture.save_answers(assessment, instrument_id, answers, now=when)
    capture.submit_assessment(assessment, now=when)


def build(rng, coordinator, cohorts, dyads_by_cohort, today: dt.date) -> dict:
    """Pre for every enrolled dyad, post for up to 26; acknowledge alerts of finished cohorts."""
    tz = timezone.get_current_timezone()
    urgent_pre = set()
    finished = [c for c in cohorts if c.status == "completed"]
    for cohort in finished[:2]:
        if dyads_by_cohort[cohort.pk]:
            urgent_pre.add(dyads_by_cohort[cohort.pk][0].pk)
    n_post = 0
    for cohort in cohorts:
        sessions = list(cohort.sessions.order_by("date").values_list("date", flat=True))
        for dyad in dyads_by_cohort[cohort.pk]:
            dyad.refresh_from_db()
            z = rng.gauss(0, 1)
            pre = capture.schedule_assessment(coordinator, dyad, Timepoint.PRE)
            pre_day = cohort.start_date - dt.timedelta(days=rng.randint(1, 6))
            when = dt.datetime.combine(pre_day, dt.time(19, rng.randint(0, 59)), tzinfo=tz)
            capture.issue_link(coordinator, pre, when - dt.timedelta(days=2))
            _answer(rng, pre, when, z, post=False, self_harm=1 if dyad.pk in urgent_pre else 0)
            post_day = sessions[-1] + dt.timedelta(days=rng.randint(3, 10))
            # As in the pilot, some mothers who left the groups still answered the post-assessment.
            takes_post = cohort in finished and dyad.status in ("completed", "withdrawn")
            if takes_post and post_day < today and n_post < 26:
                post = capture.schedule_assessment(coordinator, dyad, Timepoint.POST)
                when = dt.datetime.combine(post_day, dt.time(20, rng.randint(0, 59)), tzinfo=tz)
                capture.issue_link(coordinator, post, when - dt.timedelta(days=3))
                _answer(rng, post, when, z + rng.gauss(0, 0.3), post=True)
                n_post += 1
    from nurture.safety.enums import AlertOutcome
    from nurture.safety.models import Alert

    for alert in Alert.objects.filter(dyad__cohort__in=finished).order_by("created_at"):
        acknowledged = alert.created_at + dt.timedelta(minutes=rng.randint(12, 50))
        if alert.is_urgent:
            acknowledge_alert(coordinator, alert, "Called the mother within the hour; she is safe and at home "
                                                  "with her partner.", now=acknowledged)
            close_alert(coordinator, alert, rng.choice([AlertOutcome.SAFETY_PLAN, AlertOutcome.REFERRED]),
                        "Safety plan reviewed with her by phone; her midwife and doctor informed the same day.",
                        now=acknowledged + dt.timedelta(hours=rng.randint(2, 30)))
        else:
            close_alert(coordinator, alert, AlertOutcome.CONTACTED_MOTHER,
                        "Spoke with her about how she is feeling; she will raise it with her doctor.",
                        now=acknowledged + dt.timedelta(hours=rng.randint(4, 72)))
    return {"post": n_post, "alerts_open": Alert.objects.open().count()}

