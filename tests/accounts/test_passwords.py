"""Staff passwords are stored with Argon2 in production (the rest of the suite hashes with
MD5 for speed: ``tests/conftest.py``)."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.test import override_settings

import nurture.settings as production
from nurture.accounts.enums import Role

from .. import factories as f


def test_production_stores_new_passwords_with_argon2():
    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


@pytest.mark.django_db
def test_a_staff_password_is_stored_with_argon2_and_an_older_hash_is_upgraded_at_login(rf):
    with override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS):
        user = f.make_user(Role.COORDINATOR, f.make_site("a"), "coord_a")
        user.refresh_from_db()
        assert user.password.startswith("argon2$")
        assert f.PASSWORD not in user.password

        # A password hashed before Argon2 (PBKDF2) still logs in, and is re-hashed with Argon2.
        user.password = make_password(f.PASSWORD, hasher="pbkdf2_sha256")
        user.save(update_fields=["password"])
        assert authenticate(rf.post("/login/"), username="coord_a", password=f.PASSWORD) == user
        user.refresh_from_db()
        assert user.password.startswith("argon2$")
        assert authenticate(rf.post("/login/"), username="coord_a", password="not the password") is None
