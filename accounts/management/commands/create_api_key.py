from django.core.management.base import BaseCommand, CommandError

from accounts.api_keys import api_key_create
from accounts.models import User


class Command(BaseCommand):
    help = "Create a Tling API key for an account; prints the key once."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="")

    def handle(self, *args, **options):
        user = User.objects.filter(email__iexact=options["email"]).first()
        if user is None:
            raise CommandError(f"No account with email {options['email']}.")
        _, raw = api_key_create(user=user, name=options["name"])
        self.stdout.write(raw)
