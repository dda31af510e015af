"""Used by scripts/run: a demo account to try the API with, the same one on every start.

The first run creates the account (staff, so /admin/ works), tops it up and
makes one API key, which it keeps in ``VAR_DIR/demo-api-key`` (the database
holds only its hash). Later runs change nothing: the password (and so every
token issued) stays, and the kept key is printed again. A new key is made only
when the demo account has no active one.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts import ledger
from accounts.api_keys import api_key_authenticate, api_key_create
from accounts.models import User

DEMO_EMAIL = "demo@tingting.local"
DEMO_PASSWORD = "demo-password-123"  # noqa: S105 - a published demo login (scripts/run binds 127.0.0.1)
DEMO_CREDITS = 10_000


def key_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-api-key"


class Command(BaseCommand):
    help = "Create the demo account once (later runs keep it as it is) and print its login and API key."

    def handle(self, *args, **options):
        user = User.objects.filter(email__iexact=DEMO_EMAIL).first()
        created = user is None
        if created:
            user = User.objects.create_user(
                email=DEMO_EMAIL,
                password=DEMO_PASSWORD,
                first_name="Demo",
                last_name="Account",
                is_staff=True,
                is_superuser=True,
            )
            ledger.top_up(
                user_id=user.pk,
                amount=DEMO_CREDITS,
                note="demo opening balance",
                idempotency_key=f"demo-opening:{user.pk}",
            )
        user.refresh_from_db()
        self.stdout.write(
            "\nDemo account (also staff for /admin/):\n"
            f"  email:    {DEMO_EMAIL}\n"
            f"  password: {DEMO_PASSWORD}{'' if created else ' (unless changed since)'}\n"
            f"  API key:  {self._api_key(user)}\n"
            f"  credits:  {user.credits}\n"
        )

    def _api_key(self, user: User) -> str:
        path = key_file()
        kept = path.read_text().strip() if path.exists() else ""
        key = api_key_authenticate(kept) if kept else None
        if key is not None and key.user_id == user.pk:
            return kept
        if user.api_keys.filter(revoked_at__isnull=True).exists():
            return f"(an active key exists; make another with: scripts/manage create_api_key {DEMO_EMAIL})"
        _, raw = api_key_create(user=user, name="demo")
        path.touch(mode=0o600)
        path.write_text(raw + "\n")
        return raw
