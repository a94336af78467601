import time

from django.core.management.base import BaseCommand, CommandError

from claims.demo import load_demo
from claims.synthetic import load_synthetic


class Command(BaseCommand):
    help = (
        "Load the demo claims from the seed article and print demo logins; "
        "--synthetic N also adds N synthetic published claims for benchmarks."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--synthetic",
            type=int,
            default=0,
            metavar="N",
            help="also add N synthetic published claims (bulk inserts)",
        )

    def handle(self, *args, synthetic, verbosity, **options):
        self.verbosity = verbosity
        if synthetic < 0:
            raise CommandError("--synthetic needs a number of claims, 0 or more.")
        logins = load_demo()
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write("Demo logins for /admin/ (new passwords on every load):")
        for username, password in logins.items():
            self.stdout.write(f"  {username:<9} {password}")
        if synthetic:
            started = time.monotonic()
            load_synthetic(synthetic, progress=self.progress)
            took = time.monotonic() - started
            self.stdout.write(f"Added {synthetic} synthetic claims in {took:.0f} s.")

    def progress(self, done):
        if done % 10_000 == 0 or self.verbosity > 1:
            self.stdout.write(f"  {done} synthetic claims", ending="\n")
