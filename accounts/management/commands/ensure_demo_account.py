"""Used by the README's run command: a demo account to try the API with."""

from django.core.management.base import BaseCommand

from accounts import ledger
from accounts.api_keys import api_key_create
from accounts.models import User

DEMO_EMAIL = "demo@tingting.local"
DEMO_PASSWORD = "demo-password-123"  # noqa: S105 - a published demo login
DEMO_CREDITS = 10_000


class Command(BaseCommand):
    help = "Create (or reset) the demo account and print its email, password and a fresh API key."

    def handle(self, *args, **options):
        user = User.objects.filter(email__iexact=DEMO_EMAIL).first()
        if user is None:
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
        else:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        _, raw = api_key_create(user=user, name="demo")
        user.refresh_from_db()
        self.stdout.write(
            "\nDemo account (also staff for /admin/):\n"
            f"  email:    {DEMO_EMAIL}\n  password: {DEMO_PASSWORD}\n  API key:  {raw}\n"
            f"  credits:  {user.credits}\n"
        )
