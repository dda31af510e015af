"""Shared fixtures. Tests run against real PostgreSQL and Redis (see scripts/test)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from tests.support.clients import client_for, key_client_for
from tests.support.factories import UserFactory

# Fixture modules of tests/support used by several test folders.
pytest_plugins = ["tests.support.sdk"]


@pytest.fixture(autouse=True)
def _fast_hasher_and_clean_cache(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The login throttles' shipped counts, over an hour: the windows are fixed (aligned on
    # the clock), so a test's attempts that straddle a minute boundary would be counted
    # in two windows and the last one let through. Tests check the counts, not the minute.
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "login_email": "10/h", "login_ip": "30/h"}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory(credits=1000)


@pytest.fixture
def other_user(db):
    return UserFactory(credits=1000)


@pytest.fixture
def key_client(user) -> APIClient:
    return key_client_for(user)


@pytest.fixture
def other_key_client(other_user) -> APIClient:
    return key_client_for(other_user)


@pytest.fixture
def auth_client(user) -> APIClient:
    return client_for(user)


@pytest.fixture
def other_client(other_user) -> APIClient:
    return client_for(other_user)


@pytest.fixture
def staff_client(db) -> Client:
    """The admin, logged in as a superuser."""
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def purge_broker():
    """Drop messages left on the broker by earlier tests."""
    from tingting.celery import app

    app.control.purge()
    yield
    app.control.purge()


@pytest.fixture
def celery_worker(transactional_db, purge_broker):
    """A real ``celery worker`` subprocess on the real broker and the test database."""
    from tests.support.workers import running_worker

    with running_worker() as worker:
        yield worker
