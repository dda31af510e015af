from django.core.management.base import BaseCommand, CommandError

from phonenumbers_app.services import inventory_sync
from tingting.providers.base import ProviderError


class Command(BaseCommand):
    help = "Copy the number provider's offers (NUMBER_BACKEND) into the inventory; no-op for the local one."

    def handle(self, *args, **options):
        try:
            counts = inventory_sync()
        except ProviderError as exc:
            raise CommandError(f"The number provider failed: {exc}") from exc
        self.stdout.write(f"Added {counts['added']}, updated {counts['updated']}.")
