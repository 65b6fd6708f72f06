from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from kla.models import ApiToken
from opd import access


class Command(BaseCommand):
    help = "Make an API token for a secretariat or executive user; the key is printed once."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True)
        parser.add_argument("--name", required=True, help='What it is for, e.g. "Provinsi Jambi".')

    def handle(self, *args, user, name, **options):
        found = get_user_model().objects.filter(username=user).first()
        if found is None:
            raise CommandError(f"No user {user!r}.")
        if not access.can_read_everything(found):
            raise CommandError("Only secretariat, admin and executive users may read the API.")
        _token, key = ApiToken.issue(user=found, name=name)
        self.stdout.write(f"Token for {user} ({name}). Keep it secret; it is not shown again:")
        self.stdout.write(key)
