"""An administrator edits a site's safety arrangements and crisis resources on its page."""

from nurture.safety.models import CrisisResource, SiteSafety


def test_the_site_page_edits_the_on_call_list_escalation_and_responders(world, client_for):
    client = client_for(world.admin)
    url = f"/admin/program/site/{world.site_a.pk}/change/"
    html = client.get(url).content.decode()
    assert "On call emails" in html and "Clinical responder roles" in html and "Crisis resources" in html
    data = {"code": "a", "name": "Site A", "time_zone": "America/Chicago",
            "safety-TOTAL_FORMS": "1", "safety-INITIAL_FORMS": "0", "safety-MIN_NUM_FORMS": "0",
            "safety-MAX_NUM_FORMS": "1", "safety-0-on_call_emails": "oncall@example.org\nnurse@example.org",
            "safety-0-on_call_phones": "+1 555 010 0100", "safety-0-escalation_minutes": "30",
            "safety-0-repeat_minutes": "20", "safety-0-clinical_responder_roles": ["administrator"],
            "crisis_resources-TOTAL_FORMS": "0", "crisis_resources-INITIAL_FORMS": "0",
            "crisis_resources-MIN_NUM_FORMS": "0", "crisis_resources-MAX_NUM_FORMS": "1000"}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    row = SiteSafety.objects.get(site=world.site_a)
    assert (row.emails, row.phones, row.escalation_minutes, row.repeat_minutes, row.clinical_responder_roles) == (
        ["oncall@example.org", "nurse@example.org"], ["+1 555 010 0100"], 30, 20, ["administrator"])


def test_a_bad_on_call_address_is_refused_on_the_form(world, client_for):
    client = client_for(world.admin)
    url = f"/admin/program/site/{world.site_a.pk}/change/"
    data = {"code": "a", "name": "Site A", "time_zone": "Mars/Olympus",
            "safety-TOTAL_FORMS": "1", "safety-INITIAL_FORMS": "0", "safety-MIN_NUM_FORMS": "0",
            "safety-MAX_NUM_FORMS": "1", "safety-0-on_call_emails": "not an address",
            "safety-0-on_call_phones": "", "safety-0-escalation_minutes": "60", "safety-0-repeat_minutes": "60",
            "crisis_resources-TOTAL_FORMS": "0", "crisis_resources-INITIAL_FORMS": "0",
            "crisis_resources-MIN_NUM_FORMS": "0", "crisis_resources-MAX_NUM_FORMS": "1000"}
    html = client.post(url, data).content.decode()
    assert "is not an email address" in html and "is not a time zone name" in html
    assert not SiteSafety.objects.filter(site=world.site_a).exists()


def test_copying_the_default_resources_gives_the_site_an_editable_list(world, client_for):
    client = client_for(world.admin)
    client.post("/admin/program/site/", {"action": "copy_defaults", "_selected_action": [world.site_a.pk]})
    rows = CrisisResource.objects.filter(site=world.site_a)
    assert rows.filter(language="en").count() == 4 and rows.filter(language="es").count() == 4
    assert rows.get(language="es", group="crisis").sms_body == "AYUDA"


def test_only_administrators_reach_the_admin(world, client_for):
    assert client_for(world.coordinator).get("/admin/program/site/").status_code == 302
