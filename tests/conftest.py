"""Shared personas: a coordinator at site A, a facilitator of cohort 1, an outsider at
site B, a researcher, and an administrator — with data at both sites that could leak."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from nurture.accounts.enums import Role

from . import factories as f


def pytest_sessionstart(session):
    """The shipped catalogs are compiled at install (``make``); compile them here too, so
    a plain ``pytest`` after editing a ``.po`` file tests the words it says."""
    from pathlib import Path

    import nurture
    from nurture.common.catalogs import compile_catalogs

    compile_catalogs([Path(nurture.__file__).parent / "locale"])


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    """Argon2 spends about 0.15 s per password on purpose, and a test's people each get one:
    tests hash with MD5 instead, as Django advises for test suites. Production's hashers are
    tested by ``tests/accounts/test_passwords.py``. A server started in a subprocess keeps
    production's settings, so its users are made by its own commands."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@dataclass
class World:
    site_a: object
    site_b: object
    study: object
    coordinator: object
    facilitator: object
    other_facilitator: object
    outsider: object
    researcher: object
    admin: object
    cohort1: object
    cohort2: object
    cohort_b: object
    dyad1: object
    dyad2: object
    dyad_b: object


@pytest.fixture
def world(db) -> World:
    site_a, site_b = f.make_site("a"), f.make_site("b")
    study = f.make_study(site_a, site_b)
    coordinator = f.make_user(Role.COORDINATOR, site_a, "coord_a")
    facilitator = f.make_user(Role.FACILITATOR, site_a, "fac_1")
    other_facilitator = f.make_user(Role.FACILITATOR, site_a, "fac_2")
    outsider = f.make_user(Role.COORDINATOR, site_b, "coord_b")
    researcher = f.make_user(Role.RESEARCHER, site_a, "researcher")
    admin = f.make_user(Role.ADMINISTRATOR, None, "admin")
    cohort1 = f.make_cohort(study, site_a, name="Cohort 1", facilitators=[facilitator])
    cohort2 = f.make_cohort(study, site_a, name="Cohort 2", facilitators=[other_facilitator], weeks=8)
    cohort_b = f.make_cohort(study, site_b, name="Cohort B")
    dyad1 = f.make_enrolled(study, site_a, cohort1, first_name="Aurelia", last_name="Leakwell")
    dyad2 = f.make_enrolled(study, site_a, cohort2, first_name="Bettina", last_name="Hidden")
    dyad_b = f.make_enrolled(study, site_b, cohort_b, first_name="Consuelo", last_name="Othersite")
    return World(site_a, site_b, study, coordinator, facilitator, other_facilitator, outsider, researcher, admin,
                 cohort1, cohort2, cohort_b, dyad1, dyad2, dyad_b)


@pytest.fixture
def client_for(client):
    """Log a persona in (``client_for(world.coordinator)``) and return the test client."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture(autouse=True)
def sms_in_memory(settings):
    """Text messages stay in memory in tests (``nurture.notifications.sms.outbox``); never the network."""
    from nurture.notifications import sms

    settings.SMS_URL = "memory://"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture(autouse=True)
def fresh_throttle():
    """The survey-link guessing counts are files every server process shares (under the var
    folder): no test starts with another's."""
    from django.core.cache import caches

    caches["throttle"].clear()
