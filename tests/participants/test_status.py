import datetime as dt

import pytest

from nurture.accounts.models import AuditEvent
from nurture.common.errors import DomainError, NotPermitted
from nurture.participants import domain as participants
from nurture.participants.eligibility import CRITERIA
from nurture.participants.enums import TRANSITIONS, EndReason, EnrollmentStatus
from nurture.participants.models import Dyad, StatusEvent

from .. import factories as f

S = EnrollmentStatus
ALL_MET = dict.fromkeys(CRITERIA, True)


@pytest.fixture
def place(db):
    site = f.make_site()
    study = f.make_study(site)
    cohort = f.make_cohort(study, site)
    return study, site, cohort


def test_a_referral_gets_the_next_study_id_and_a_history_entry(place):
    study, site, _ = place
    first = f.make_referral(study, site)
    second = f.make_referral(study, site)
    assert (first.code, second.code) == ("NC-0001", "NC-0002")
    assert first.status == S.REFERRED
    assert list(first.history.values_list("to_status", flat=True)) == ["referred"]


def test_mother_age_is_derived_from_date_of_birth_at_referral(place):
    study, site, _ = place
    dyad = f.make_referral(study, site, referred_on=dt.date(2025, 12, 1))  # born 1995-06-01
    assert dyad.mother.age_at_referral == 30


def test_the_whole_path_from_referral_to_completion(place):
    study, site, cohort = place
    dyad = f.make_referral(study, site)
    screening = participants.screen(None, dyad, criteria=ALL_MET, screened_on=dt.date(2025, 12, 2))
    assert screening.eligible and dyad.status == S.ELIGIBLE
    participants.record_consent(None, dyad, consented_on=dt.date(2025, 12, 3), form_version="v2")
    participants.enroll_dyad(None, dyad, cohort, enrolled_on=dt.date(2025, 12, 4))
    participants.change_status(None, dyad, S.COMPLETED, effective_on=dt.date(2026, 3, 30))
    dyad.refresh_from_db()
    assert (dyad.status, dyad.cohort, dyad.ended_on) == (S.COMPLETED, cohort, dt.date(2026, 3, 30))
    assert list(dyad.history.values_list("from_status", "to_status")) == [
        ("", "referred"), ("referred", "eligible"), ("eligible", "consented"), ("consented", "enrolled"),
        ("enrolled", "completed")]


def test_screening_with_an_unmet_criterion_makes_the_dyad_ineligible_with_the_reason(place):
    study, site, _ = place
    dyad = f.make_referral(study, site)
    screening = participants.screen(None, dyad, criteria=ALL_MET | {"can_attend": False},
                                    screened_on=dt.date(2025, 12, 2), note="works Mondays")
    assert not screening.eligible
    dyad.refresh_from_db()
    assert dyad.status == S.INELIGIBLE
    assert screening.reason == f"{CRITERIA['can_attend']}; works Mondays"
    assert dyad.history.last().reason == screening.reason


def test_screening_must_answer_every_criterion(place):
    study, site, _ = place
    dyad = f.make_referral(study, site)
    with pytest.raises(DomainError, match="missing: can_attend"):
        participants.screen(None, dyad, criteria={k: True for k in CRITERIA if k != "can_attend"},
                            screened_on=dt.date(2025, 12, 2))
    dyad.refresh_from_db()
    assert dyad.status == S.REFERRED


@pytest.mark.parametrize("current", list(S))
def test_only_listed_transitions_are_accepted(place, current):
    study, site, _ = place
    for target in S:
        dyad = f.make_referral(study, site)
        Dyad.objects.filter(pk=dyad.pk).update(status=current)
        dyad.refresh_from_db()
        allowed = target in TRANSITIONS[current]
        if allowed:
            participants.change_status(None, dyad, target, effective_on=dt.date(2025, 12, 5), reason="why")
            assert Dyad.objects.get(pk=dyad.pk).status == target
        else:
            with pytest.raises(DomainError):
                participants.change_status(None, dyad, target, effective_on=dt.date(2025, 12, 5), reason="why")
            assert Dyad.objects.get(pk=dyad.pk).status == current


def test_a_refused_transition_says_what_is_allowed(place):
    study, site, cohort = place
    dyad = f.make_referral(study, site)
    with pytest.raises(DomainError, match="NC-0001 is referred: it can only become"):
        participants.enroll_dyad(None, dyad, cohort, enrolled_on=dt.date(2025, 12, 4))
    assert StatusEvent.objects.filter(dyad=dyad).count() == 1


def test_a_final_status_says_it_is_final(place):
    study, site, _ = place
    dyad = f.make_referral(study, site)
    participants.change_status(None, dyad, S.WITHDRAWN, effective_on=dt.date(2025, 12, 2), reason="Declined")
    with pytest.raises(DomainError, match="which is final"):
        participants.change_status(None, dyad, S.ELIGIBLE, effective_on=dt.date(2025, 12, 3))


def test_withdrawal_needs_a_reason(place):
    study, site, _ = place
    dyad = f.make_referral(study, site)
    with pytest.raises(DomainError, match="Say why"):
        participants.change_status(None, dyad, S.WITHDRAWN, effective_on=dt.date(2025, 12, 2), reason="  ")


def test_a_status_date_in_the_future_or_before_referral_is_refused(place):
    study, site, _ = place
    dyad = f.make_referral(study, site, referred_on=dt.date(2025, 12, 1))
    with pytest.raises(DomainError, match="before the referral"):
        participants.change_status(None, dyad, S.WITHDRAWN, effective_on=dt.date(2025, 11, 1), reason="x")
    with pytest.raises(DomainError, match="future"):
        participants.change_status(None, dyad, S.WITHDRAWN, effective_on=dt.date(2999, 1, 1), reason="x")


def test_enrolling_in_a_cohort_of_another_site_is_refused(world):
    dyad = f.make_referral(world.study, world.site_a)
    participants.screen(None, dyad, criteria=ALL_MET, screened_on=dt.date(2025, 12, 2))
    participants.record_consent(None, dyad, consented_on=dt.date(2025, 12, 3), form_version="v1")
    with pytest.raises(DomainError, match="another site"):
        participants.enroll_dyad(None, dyad, world.cohort_b, enrolled_on=dt.date(2025, 12, 4))
    dyad.refresh_from_db()
    assert (dyad.status, dyad.cohort) == (S.CONSENTED, None)


def test_a_failed_step_rolls_back_everything_it_wrote(place):
    study, site, _ = place
    dyad = f.make_referral(study, site)
    events = AuditEvent.objects.count()
    with pytest.raises(DomainError):
        participants.record_consent(None, dyad, consented_on=dt.date(2025, 12, 3), form_version="")
    assert AuditEvent.objects.count() == events
    assert dyad.consents.count() == 0


def test_twins_are_one_dyad_with_two_infants(place):
    study, site, _ = place
    dyad = f.make_referral(study, site, infants=[{"first_name": "A", "age_weeks": 6, "gestational_age_weeks": 35},
                                                 {"first_name": "B", "age_weeks": 6, "gestational_age_weeks": 35}])
    assert Dyad.objects.count() == 1
    assert [i.birth_order for i in dyad.infants.all()] == [1, 2]
    assert dyad.index_infant.birth_order == 1
    assert dyad.index_infant.is_preterm is True


def test_a_mother_joining_again_with_a_later_baby_gets_a_new_dyad(place):
    study, site, _ = place
    first = f.make_referral(study, site)
    second = participants.refer_dyad(None, study=study, site=site, referred_on=dt.date(2026, 1, 1),
                                     mother_first_name="", mother_last_name="", mother=first.mother)
    assert second.mother == first.mother and second.code != first.code


def test_a_coordinator_of_another_site_cannot_change_status(world):
    with pytest.raises(NotPermitted):
        participants.change_status(world.outsider, world.dyad1, S.WITHDRAWN, effective_on=dt.date(2026, 1, 6),
                                   reason="x")


def test_a_facilitator_cannot_manage_participants(world):
    with pytest.raises(NotPermitted):
        participants.change_status(world.facilitator, world.dyad1, S.WITHDRAWN,
                                   effective_on=dt.date(2026, 1, 6), reason="x")


def test_a_withdrawal_records_its_reason_category(place):
    study, site, cohort = place
    dyad = f.make_enrolled(study, site, cohort)
    participants.change_status(None, dyad, S.WITHDRAWN, effective_on=dyad.enrolled_on, reason_code=EndReason.MOVED)
    dyad.refresh_from_db()
    assert (dyad.end_reason_code, dyad.end_reason) == ("moved", "Moved away")
    assert dyad.history.last().reason_code == "moved"


def test_a_typed_reason_alone_counts_as_other_and_other_needs_the_typed_reason(place):
    study, site, _ = place
    dyad = f.make_referral(study, site)
    with pytest.raises(DomainError, match="Describe the other reason"):
        participants.change_status(None, dyad, S.WITHDRAWN, effective_on=dt.date(2025, 12, 2),
                                   reason_code=EndReason.OTHER)
    with pytest.raises(DomainError, match="not a reason category"):
        participants.change_status(None, dyad, S.WITHDRAWN, effective_on=dt.date(2025, 12, 2), reason_code="bored")
    participants.change_status(None, dyad, S.WITHDRAWN, effective_on=dt.date(2025, 12, 2), reason="Went abroad")
    dyad.refresh_from_db()
    assert (dyad.end_reason_code, dyad.end_reason) == ("other", "Went abroad")


def test_study_ids_go_on_past_9999(place):
    """Ids are compared as numbers: "NC-9999" sorts after "NC-10000" as text, which gave the
    next referral an id already in use once a study passed ten thousand dyads."""
    study, site, _ = place
    first = f.make_referral(study, site)
    Dyad.objects.filter(pk=first.pk).update(code="NC-9999")
    assert f.make_referral(study, site).code == "NC-10000"
    assert f.make_referral(study, site).code == "NC-10001"
    assert Dyad.objects.filter(study=study).count() == 3
