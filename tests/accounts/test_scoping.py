import pytest

from nurture.accounts import scoping
from nurture.accounts.models import AuditEvent
from nurture.common.errors import NotPermitted
from nurture.participants import domain as participants


def codes(qs):
    return sorted(qs.values_list("code", flat=True))


def test_a_coordinator_sees_every_dyad_of_her_site_and_none_of_another(world):
    assert codes(scoping.visible_dyads(world.coordinator)) == sorted([world.dyad1.code, world.dyad2.code])


def test_a_facilitator_sees_only_the_dyads_of_her_cohorts(world):
    assert codes(scoping.visible_dyads(world.facilitator)) == [world.dyad1.code]
    assert list(scoping.visible_cohorts(world.facilitator)) == [world.cohort1]


def test_an_outsider_at_site_b_sees_only_site_b(world):
    assert codes(scoping.visible_dyads(world.outsider)) == [world.dyad_b.code]


def test_an_administrator_without_a_site_sees_every_site(world):
    assert len(codes(scoping.visible_dyads(world.admin))) == 3


def test_an_anonymous_or_profileless_user_sees_nothing(world, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", password="x" * 12)
    assert scoping.visible_dyads(nobody).count() == 0
    assert scoping.visible_cohorts(None).count() == 0


def test_a_researcher_is_refused_identifiers(world):
    with pytest.raises(NotPermitted):
        participants.identifiers_for(world.researcher, world.dyad1)
    assert not AuditEvent.objects.filter(action="view_identifiers").exists()


def test_viewing_identifiers_is_audited(world):
    details = participants.identifiers_for(world.coordinator, world.dyad1)
    assert details["last_name"] == "Leakwell"
    event = AuditEvent.objects.get(action="view_identifiers")
    assert (event.user, event.object_id) == (world.coordinator, str(world.dyad1.pk))


def test_identifiers_of_another_site_are_refused(world):
    with pytest.raises(NotPermitted):
        participants.identifiers_for(world.outsider, world.dyad1)
