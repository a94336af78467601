from django.core.management.base import BaseCommand

from claims.demo import load_demo


class Command(BaseCommand):
    help = "Load the demo claims from the seed article and print demo logins."

    def handle(self, *args, **options):
        logins = load_demo()
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write("Demo logins for /admin/ (new passwords on every load):")
        for username, password in logins.items():
            self.stdout.write(f"  {username:<9} {password}")
