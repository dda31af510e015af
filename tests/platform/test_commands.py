from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts import ledger
from accounts.api_keys import api_key_authenticate
from accounts.models import User

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip()


def test_create_account_add_credits_and_api_key():
    user_id = run(
        "create_account", "Ops@Example.com", "--password", "pw-123456", "--credits", "50", "--first-name", "Op"
    )
    user = User.objects.get(pk=int(user_id))
    assert user.email == "ops@example.com" and user.first_name == "Op" and user.credits == 50
    assert run("add_credits", "OPS@example.com", "25", "--note", "invoice 7") == "75"
    assert user.ledger_entries.filter(kind="topup", note="invoice 7").exists()
    raw = run("create_api_key", "ops@example.com", "--name", "crm")
    assert api_key_authenticate(raw).user == user
    assert ledger.invariant_gap(user_id=user.pk) == 0


def test_commands_report_errors_clearly():
    run("create_account", "dup@example.com", "--password", "pw-123456")
    with pytest.raises(CommandError, match="already exists"):
        run("create_account", "DUP@example.com", "--password", "pw-123456")
    with pytest.raises(CommandError, match="No account"):
        run("add_credits", "ghost@example.com", "5")
    with pytest.raises(CommandError, match="positive"):
        run("add_credits", "dup@example.com", "0")
