from django.core.management.base import BaseCommand, CommandError

from accounts import ledger
from accounts.models import User
from tingting.errors import DomainError


class Command(BaseCommand):
    help = "Top up an account through the ledger; prints the new balance."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("amount", type=int)
        parser.add_argument("--note", default="operator top-up")

    def handle(self, *args, **options):
        user = User.objects.filter(email__iexact=options["email"]).first()
        if user is None:
            raise CommandError(f"No account with email {options['email']}.")
        try:
            entry = ledger.top_up(user_id=user.pk, amount=options["amount"], note=options["note"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(str(entry.credits_after))
