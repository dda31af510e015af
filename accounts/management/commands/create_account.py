from django.core.management.base import BaseCommand, CommandError

from accounts.services import user_create
from tingting.errors import DomainError


class Command(BaseCommand):
    help = "Create an account; prints its id."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--password", required=True)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--credits", type=int, default=0)
        parser.add_argument("--staff", action="store_true", help="make the account staff and superuser")

    def handle(self, *args, **options):
        try:
            user = user_create(
                email=options["email"],
                password=options["password"],
                first_name=options["first_name"],
                last_name=options["last_name"],
                credits=options["credits"],
                is_staff=options["staff"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(str(user.pk))
