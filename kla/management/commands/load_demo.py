from django.core.management.base import BaseCommand

from kla.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load the Tanjung Jabung Barat demo (idempotent: a second run changes nothing)."

    def handle(self, *args, **options):
        report = load_demo()
        if report.changed:
            created = ", ".join(f"{n} {what}" for what, n in report.created.items())
            self.stdout.write(self.style.SUCCESS(f"Demo loaded: {created}."))
        else:
            self.stdout.write("Demo already loaded: nothing changed.")
        self.stdout.write("")
        self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        for username, role, unit in report.accounts:
            self.stdout.write(f"  {username:<22} {role:<28} {unit}")
