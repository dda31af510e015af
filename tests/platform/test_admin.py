"""Staff work in the admin: balances visible, ledger read-only, top-up writes a ledger entry."""

import pytest
from django.test import Client, override_settings

from accounts import ledger
from accounts.api_keys import api_key_create
from accounts.models import ApiKey, LedgerEntry

pytestmark = pytest.mark.django_db


def test_top_up_action_writes_a_ledger_entry(staff_client, user):
    response = staff_client.post(
        "/admin/accounts/user/",
        {
            "action": "top_up",
            "_selected_action": [user.pk],
            "apply": "1",
            "amount": "250",
            "note": "invoice 9",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.credits == 1250
    entry = LedgerEntry.objects.filter(user=user).first()
    assert (entry.kind, entry.amount, entry.note) == ("topup", 250, "invoice 9")
    assert ledger.invariant_gap(user_id=user.pk) == 0


def test_top_up_form_rejects_bad_amounts(staff_client, user):
    response = staff_client.post(
        "/admin/accounts/user/",
        {
            "action": "top_up",
            "_selected_action": [user.pk],
            "apply": "1",
            "amount": "-5",
        },
    )
    assert response.status_code == 200  # the form again, with its error
    user.refresh_from_db()
    assert user.credits == 1000


def test_user_list_shows_balances_and_ledger_is_read_only(staff_client, user):
    page = staff_client.get("/admin/accounts/user/").content.decode()
    assert user.email in page and "1000" in page
    entry = LedgerEntry.objects.filter(user=user).first()
    assert staff_client.get(f"/admin/accounts/ledgerentry/{entry.pk}/change/").status_code == 200
    assert staff_client.post(f"/admin/accounts/ledgerentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert staff_client.get("/admin/accounts/ledgerentry/add/").status_code == 403


def test_revoke_api_keys_action(staff_client, user):
    key, _ = api_key_create(user=user, name="crm")
    response = staff_client.post("/admin/accounts/apikey/", {"action": "revoke", "_selected_action": [key.pk]})
    assert response.status_code == 302
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None


def test_non_staff_cannot_reach_admin(user):
    client = Client()
    client.force_login(user)
    assert client.get("/admin/accounts/user/").status_code == 302


# --- admin login throttle (issue 18 defect 3) --------------------------------------------

ADMIN_LOGIN = "/admin/login/"


def admin_login(client, email, password):
    return client.post(ADMIN_LOGIN, {"username": email, "password": password, "next": "/admin/"})


def is_logged_in(client) -> bool:
    return client.get("/admin/").status_code == 200


@pytest.fixture
def staff(db):
    from tests.support.factories import UserFactory

    return UserFactory(email="staff@example.com", password="right-password", is_staff=True, is_superuser=True)


def test_fifteen_wrong_staff_passwords_then_the_right_one_is_refused(staff):
    client = Client()
    for _ in range(15):
        assert admin_login(client, staff.email, "wrong").status_code == 200
    response = admin_login(client, staff.email, "right-password")
    assert b"Too many login attempts" in response.content
    assert not is_logged_in(client)


@override_settings(THROTTLE_RATES={"login_email": "100/h", "login_ip": "3/h"})
def test_admin_login_is_throttled_per_ip(staff):
    client = Client()
    for n in range(3):
        admin_login(client, f"nobody{n}@example.com", "wrong")
    assert b"Too many login attempts" in admin_login(client, staff.email, "right-password").content
    assert not is_logged_in(client)


def test_admin_and_api_logins_count_against_one_bucket(staff):
    api = Client()
    for _ in range(10):
        api.post("/api/accounts/login/", {"email": staff.email, "password": "wrong"}, content_type="application/json")
    client = Client()
    admin_login(client, staff.email, "right-password")
    assert not is_logged_in(client)


def test_admin_login_under_the_limit_works(staff):
    client = Client()
    assert admin_login(client, staff.email, "right-password").status_code == 302
    assert is_logged_in(client)
