import json

from django.core.management.base import BaseCommand, CommandError

from claims import services
from claims.models import Capture


class Command(BaseCommand):
    help = (
        "Capture one URL outside any claim, in this process, with the workers' "
        "fetcher and policy. Exits 0 only on success."
    )

    def add_arguments(self, parser):
        parser.add_argument("url")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, url, **options):
        try:
            capture = services.capture_now(url=url)
        except Exception as error:
            # Recorded on the capture as "Internal error: …" (the archive
            # folder full or read-only, say); say so instead of a traceback.
            if options["json"]:
                failed = Capture(
                    state=Capture.State.FAILED, error=f"Internal error: {error}"
                )
                self.stdout.write(json.dumps(describe(failed), ensure_ascii=False))
            raise CommandError(f"The capture failed: {error}") from error
        capture.refresh_from_db()
        outcome = describe(capture)
        if options["json"]:
            self.stdout.write(json.dumps(outcome, ensure_ascii=False))
        else:
            for key, value in outcome.items():
                self.stdout.write(f"{key:>12}: {value}")
        if outcome["status"] != "succeeded":
            raise CommandError(outcome["error"] or "The capture failed.", returncode=1)


def describe(capture):
    return {
        "status": capture.state,
        "error": capture.error or None,
        "http_status": capture.http_status,
        "final_url": capture.final_url or None,
        "title": capture.title or None,
        "sha256": capture.payload_sha256 or None,
        "warc_path": warc_path(capture),
        "text_chars": len(capture.text),
    }


def warc_path(capture):
    if not capture.warc:
        return None
    try:
        return capture.warc.path
    except NotImplementedError:  # remote storage: no local path
        return capture.warc.name
