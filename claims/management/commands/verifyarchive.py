import hashlib

from django.core.management.base import BaseCommand, CommandError

from claims.capture import read_payload
from claims.models import Capture

CHUNK = 1024 * 1024


class Command(BaseCommand):
    help = (
        "Re-hash every stored WARC file and archived page; report any that are "
        "missing or altered, and exit non-zero if there are any."
    )

    def handle(self, *args, **options):
        checked, problems = check_archive(self.stderr)
        summary = f"{checked} captures checked, {problems} missing or altered."
        if problems:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))


def check_archive(report):
    """Verify every stored capture, writing each problem to `report`; return
    how many were checked and how many had a problem."""
    captures = Capture.objects.filter(state=Capture.State.SUCCEEDED).exclude(warc="")
    problems = checked = 0
    for capture in captures.only(
        "pk", "url", "warc", "warc_sha256", "payload_sha256", "revisit_of"
    ).iterator():
        checked += 1
        problem = verify(capture)
        if problem:
            problems += 1
            report.write(f"capture {capture.pk} ({capture.url}): {problem}")
    return checked, problems


def verify(capture):
    """What is wrong with the capture's stored files, or "" if nothing."""
    storage, name = capture.warc.storage, capture.warc.name
    if not storage.exists(name):
        return f"WARC file {name} is missing"
    try:
        return check_contents(capture, storage, name)
    except OSError as error:  # a directory, no permission, a bad sector
        return f"WARC file {name} cannot be read: {error}"


def check_contents(capture, storage, name):
    with storage.open(name, "rb") as warc:
        if file_sha256(warc) != capture.warc_sha256:
            return f"WARC file {name} has been altered (SHA-256 differs)"
        if capture.revisit_of_id:
            return ""
        warc.seek(0)
        try:
            _, chunks = read_payload(warc)
            digest = hashlib.sha256()
            for chunk in chunks:
                digest.update(chunk)
        except Exception as error:  # a damaged file is a finding, not a crash
            return f"WARC file {name} cannot be read: {error}"
        if digest.hexdigest() != capture.payload_sha256:
            return f"the archived page in {name} has been altered (SHA-256 differs)"
    return ""


def file_sha256(fileobj):
    digest = hashlib.sha256()
    while chunk := fileobj.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()
