"""`manage.py backup` and `manage.py restore`: the database and the archive."""

import contextlib
import errno
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest
from dbbackup import settings as dbbackup_settings
from dbbackup import utils
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import FileSystemStorage
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from claims import services
from claims.capture import read_payload
from claims.models import Capture, Claim, Rating, Source, VerdictChange
from tests.capture_servers import Server, respond
from tests.conftest import add_source, manage_py

ROOT = Path(__file__).resolve().parent.parent
PAGES = {
    "/kremlin": "Armeegeneral Gerassimow meldete die Einnahme von Pokrowsk.",
    "/isw": "The ISW assesses that Russian forces have not seized Pokrovsk.",
    "/kyiv": "Der ukrainische Generalstab bestreitet die Einnahme der Stadt.",
}
LATER = {"/later": "Neue Satellitenbilder zeigen Kämpfe im Stadtzentrum."}


def page(text):
    return respond(
        f"<html><head><title>{text[:20]}</title></head><body><article><p>{text} "
        f"{text}</p></article></body></html>".encode(),
        headers=(("Content-Type", "text/html; charset=utf-8"),),
    )


@pytest.fixture
def backup_dir(tmp_path, monkeypatch):
    """A private BACKUP_DIR. dbbackup reads STORAGES["dbbackup"] once, when it
    is imported, so the settings fixture cannot redirect it."""
    location = tmp_path / "backups"
    monkeypatch.setattr(
        dbbackup_settings,
        "STORAGE_OPTIONS",
        {**dbbackup_settings.STORAGE_OPTIONS, "location": str(location)},
    )
    return location


@pytest.fixture
def server():
    routes = {path: page(text) for path, text in (PAGES | LATER).items()}
    with Server(routes) as server:
        yield server


@pytest.fixture
def archived_claim(transactional_db, capture_settings, make_claim, server):
    """A published claim with a revised verdict and three archived sources."""
    claim = make_claim(status=Claim.Status.PUBLISHED, rating="unproven")
    services.set_verdict(
        claim=claim,
        reviewer=User.objects.get(username="workflow-robot"),
        rating=Rating.objects.get(slug="false"),
        note="Das ISW widerspricht.",
    )
    for stance, path in zip(Source.Stance, PAGES, strict=False):
        source = add_source(claim, stance=stance, url=server.url(path))
        services.run_capture(capture_id=source.captures.get().pk)
    return claim


def snapshot(slug):
    """Everything the public claim page shows, as plain data."""
    return {
        "claim": list(
            Claim.objects.filter(slug=slug).values(
                "pk", "statement", "status", "rating__slug", "summary", "verdict_at"
            )
        ),
        "sources": list(
            Source.objects.filter(claim__slug=slug)
            .order_by("pk")
            .values("pk", "url", "stance", "party__name", "cited_capture")
        ),
        "verdicts": list(
            VerdictChange.objects.filter(claim__slug=slug)
            .order_by("pk")
            .values("previous_rating__slug", "rating__slug", "note", "changed_at")
        ),
        "captures": list(
            Capture.objects.filter(source__claim__slug=slug)
            .order_by("pk")
            .values("pk", "state", "warc", "warc_sha256", "payload_sha256")
        ),
    }


def sha256_of(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def payload_sha256_of(path):
    digest = hashlib.sha256()
    with path.open("rb") as warc:
        _, chunks = read_payload(warc)
        for chunk in chunks:
            digest.update(chunk)
    return digest.hexdigest()


def run(name, **options):
    out = io.StringIO()
    call_command(name, stdout=out, **options)
    return out.getvalue()


def test_restore_brings_back_the_claim_and_every_artifact_intact(
    archived_claim, backup_dir, capture_settings, make_claim, server
):
    archive = Path(capture_settings.MEDIA_ROOT)
    before = snapshot(archived_claim.slug)
    captures = before["captures"]
    assert len(captures) == 3 and len(before["verdicts"]) == 2
    assert {capture["state"] for capture in captures} == {"succeeded"}
    for capture in captures:
        assert sha256_of(archive / capture["warc"]) == capture["warc_sha256"]

    run("backup")

    # After the backup: a new claim is archived, the old one is deleted, one
    # of its WARC files is altered and another removed.
    later = make_claim()
    later_source = add_source(later, url=server.url("/later"))
    services.run_capture(capture_id=later_source.captures.get().pk)
    later_warc = Capture.objects.get(source=later_source).warc.name
    Claim.objects.filter(pk=archived_claim.pk).delete()
    altered = archive / captures[0]["warc"]
    altered.write_bytes(altered.read_bytes()[:-20] + b"x" * 20)
    (archive / captures[1]["warc"]).unlink()

    connections.close_all()  # pg_restore drops the tables this process used
    output = run("restore", interactive=False)

    assert snapshot(archived_claim.slug) == before
    for capture in captures:
        path = archive / capture["warc"]
        assert sha256_of(path) == capture["warc_sha256"]
        assert payload_sha256_of(path) == capture["payload_sha256"]
    assert "3 captures checked, 0 missing or altered." in output
    run("verifyarchive")
    # What was made after the backup is gone from the database; its WARC file
    # is left in place and reported.
    assert not Claim.objects.filter(pk=later.pk).exists()
    assert (archive / later_warc).is_file()
    assert later_warc in output


def test_restored_database_takes_new_rows_and_is_fully_migrated(
    archived_claim, backup_dir, server
):
    run("backup")
    connections.close_all()
    run("restore", interactive=False)

    # Sequences, content types and the migrations table came back with the
    # data: new rows get fresh keys and nothing is left to migrate.
    newest = Capture.objects.order_by("-pk").first().pk
    source = add_source(archived_claim, url=server.url("/kyiv") + "?again")
    assert source.captures.get().pk > newest
    assert ContentType.objects.get_for_model(Claim).model_class() is Claim
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []


def test_backup_prints_the_names_and_sizes_of_the_files_it_wrote(
    archived_claim, backup_dir
):
    output = run("backup")

    written = sorted(backup_dir.iterdir())
    database, metadata, archive = written
    assert database.name.startswith(connection.settings_dict["NAME"])
    assert database.name.endswith(".psql.bin")
    assert metadata.name == f"{database.name}.metadata"
    assert archive.name.endswith(".tar")
    size = utils.bytes_to_str(database.stat().st_size)
    assert f"Database  {database} ({size})" in output
    size = utils.bytes_to_str(archive.stat().st_size)
    assert f"Archive   {archive} (3 files, {size})" in output
    assert f"Backups are in {backup_dir}" in output


def test_restore_without_any_backup_fails_and_says_where_it_looked(db, backup_dir):
    with pytest.raises(CommandError) as error:
        run("restore", interactive=False)

    assert error.value.returncode == 1
    assert str(error.value).startswith(f"No database backup in {backup_dir}.")


def test_restore_of_a_named_backup_that_does_not_exist_fails(
    transactional_db, backup_dir
):
    run("backup")

    with pytest.raises(CommandError, match=r"No database backup named nope\.psql"):
        run("restore", database_backup="nope.psql.bin", interactive=False)
    with pytest.raises(CommandError, match=r"No archive backup named nope\.tar"):
        run("restore", archive_backup="nope.tar", interactive=False)


def test_restore_refuses_an_archive_backup_from_another_run(
    transactional_db, backup_dir
):
    """Restoring the newest archive backup with an older database, or the other
    way round, could leave captures without their files."""
    run("backup")
    (archive,) = backup_dir.glob("*.tar")
    archive.unlink()

    with pytest.raises(CommandError, match="No archive backup made together with"):
        run("restore", interactive=False)


def test_backup_without_pg_dump_says_what_to_install(
    db, backup_dir, tmp_path, monkeypatch
):
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(CommandError) as error:
        run("backup")

    assert error.value.returncode == 1
    assert "pg_dump was not found on PATH" in str(error.value)
    assert "apt install postgresql-client" in str(error.value)
    assert not backup_dir.exists()


def test_backup_of_an_unreachable_database_exits_1_and_says_what_to_check(
    tmp_path,
):
    result = subprocess.run(
        [sys.executable, "manage.py", "backup"],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": "postgres://postgres@127.0.0.1:9/factcheck",
            "BACKUP_DIR": str(tmp_path / "backups"),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert "Cannot connect to the database 'factcheck'" in result.stderr
    assert "Check DATABASE_URL" in result.stderr
    assert not (tmp_path / "backups").exists()


def test_backup_with_the_archive_in_s3_backs_up_only_the_database(
    transactional_db, backup_dir, settings
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {"bucket_name": "evidence", "location": "warcs"},
        },
    }

    output = run("backup")

    assert [path.suffix for path in sorted(backup_dir.iterdir())] == [
        ".bin",
        ".metadata",
    ]
    assert "Archive   not backed up: it lives in S3 (s3://evidence/warcs)" in output
    assert "turn on versioning" in output


def test_backup_keeps_the_newest_backup_keep_backups_of_each_kind(
    transactional_db, backup_dir, settings
):
    settings.DBBACKUP_CLEANUP_KEEP = 2
    backup_dir.mkdir()
    for day in (1, 2, 3):
        (backup_dir / f"old-host-2020-01-0{day}-120000.psql.bin").write_bytes(b"")
        (backup_dir / f"host-2020-01-0{day}-120000.tar").write_bytes(b"")

    run("backup")

    left = sorted(path.name for path in backup_dir.iterdir())
    assert [name for name in left if "2020" in name] == [
        "host-2020-01-03-120000.tar",
        "old-host-2020-01-03-120000.psql.bin",
    ]
    assert len(left) == 5  # and this run's two files with the dump's metadata


def test_sqlite_restore_holds_while_another_process_has_the_database_open(
    tmp_path, server
):
    """With no DATABASE_URL the database is SQLite in WAL mode. Changes made
    after the backup sit in the -wal file while any other connection is open
    (a web server left running); the restore must not be undone by them."""
    environment = {
        **os.environ,
        "VAR_DIR": str(tmp_path / "var"),
        "ARCHIVE_ROOT": str(tmp_path / "archive"),
        "BACKUP_DIR": str(tmp_path / "backups"),
        "CAPTURE_ALLOW_NETWORKS": "127.0.0.1/32",
    }
    environment.pop("DATABASE_URL", None)

    def manage(*args):
        return manage_py(environment, *args).stdout

    manage("migrate", "-v0")
    kept = json.loads(manage("capture", server.url("/kremlin"), "--json"))
    output = manage("backup")
    assert ".sqlite3.gz (" in output and "(1 file, " in output
    with contextlib.closing(sqlite3.connect(tmp_path / "var" / "db.sqlite3")) as web:
        web.execute("SELECT count(*) FROM claims_capture").fetchall()
        later = json.loads(manage("capture", server.url("/isw"), "--json"))
        Path(kept["warc_path"]).unlink()

        output = manage("restore", "--noinput")

    assert "1 captures checked, 0 missing or altered." in output
    later_warc = Path(later["warc_path"])
    assert later_warc.is_file()
    assert f"  {later_warc.relative_to(tmp_path / 'archive')}" in output
    assert payload_sha256_of(Path(kept["warc_path"])) == kept["sha256"]


class FullDiskStorage(FileSystemStorage):
    """Django's filesystem storage on a disk that fills up while it writes:
    the first kilobyte of the file is written, then ENOSPC, and (as on a real
    full disk) what was written stays."""

    def _save(self, name, content):
        return super()._save(name, FillsUp(content))


class FillsUp:
    def __init__(self, content):
        self.content = content

    def chunks(self, chunk_size=None):
        self.content.seek(0)
        yield self.content.read(1024)
        raise OSError(errno.ENOSPC, "No space left on device")


def files_in(folder):
    return sorted(path for path in Path(folder).rglob("*") if path.is_file())


def member_data_offset(tar_path, index):
    with tarfile.open(tar_path) as tar:
        member = [member for member in tar if member.isfile()][index]
        return member.name, member.offset_data, member.size


def test_restore_refuses_a_truncated_archive_backup_and_changes_nothing(
    archived_claim, backup_dir, capture_settings, make_claim
):
    """A truncated tar used to delete each file it would put back before
    reading its copy: the good WARC file on disk became an empty one, and the
    restore stopped with a traceback."""
    archive = Path(capture_settings.MEDIA_ROOT)
    run("backup")
    (tar_path,) = backup_dir.glob("*.tar")
    _, offset, size = member_data_offset(tar_path, 1)
    tar_path.write_bytes(tar_path.read_bytes()[: offset + size // 2])
    before = {path: sha256_of(path) for path in files_in(archive)}
    later = make_claim()

    connections.close_all()
    with pytest.raises(CommandError, match="cannot be read to the end") as error:
        run("restore", interactive=False)

    assert "Nothing was changed" in str(error.value)
    assert {path: sha256_of(path) for path in files_in(archive)} == before
    assert Claim.objects.filter(pk=later.pk).exists()  # the database, too
    run("verifyarchive")


def test_restore_does_not_put_a_damaged_copy_over_a_good_file(
    archived_claim, backup_dir, capture_settings
):
    """A bit flipped in the backup's copy of a WARC file (bit rot) used to be
    written over the intact file on disk."""
    archive = Path(capture_settings.MEDIA_ROOT)
    run("backup")
    (tar_path,) = backup_dir.glob("*.tar")
    name, offset, size = member_data_offset(tar_path, 0)
    data = bytearray(tar_path.read_bytes())
    data[offset + size // 2] ^= 0x40
    tar_path.write_bytes(bytes(data))
    good = sha256_of(archive / name)

    connections.close_all()
    output = run("restore", interactive=False)

    assert sha256_of(archive / name) == good
    assert "3 captures checked, 0 missing or altered." in output


def test_restore_leaves_a_file_written_during_the_backup_whole(
    archived_claim, backup_dir, capture_settings
):
    """A backup taken while a WARC file was being written holds only its first
    part; the restore must leave the finished file as it is ("left in
    place"), not cut it back to that part."""
    archive = Path(capture_settings.MEDIA_ROOT)
    writing = archive / "warcs" / "capture-being-written.warc.gz"
    writing.write_bytes(b"first half ")
    run("backup")
    with writing.open("ab") as warc:
        warc.write(b"and the rest, written after the backup")
    finished = writing.read_bytes()

    connections.close_all()
    output = run("restore", interactive=False)

    assert writing.read_bytes() == finished
    assert "warcs/capture-being-written.warc.gz" in output


def test_backup_files_can_be_read_by_their_owner_only(archived_claim, backup_dir):
    """The dump holds password hashes, live session keys and drafts."""
    run("backup")

    assert backup_dir.stat().st_mode & 0o777 == 0o700
    written = sorted(backup_dir.iterdir())
    assert len(written) == 3
    for path in written:
        assert path.stat().st_mode & 0o777 == 0o600, path.name


def test_a_backup_on_a_full_disk_leaves_no_incomplete_backup_behind(
    archived_claim, backup_dir, monkeypatch
):
    """A part-written dump kept its backup name: the next restore took it for
    the newest backup, and retention counted it as one of BACKUP_KEEP."""
    monkeypatch.setattr(
        dbbackup_settings, "STORAGE", "tests.test_backup.FullDiskStorage"
    )

    with pytest.raises(CommandError) as error:
        run("backup")

    assert "incomplete file" in str(error.value)
    assert "No space left on device" in str(error.value)
    assert files_in(backup_dir) == []


def test_a_backup_whose_archive_cannot_be_read_leaves_no_unpaired_dump(
    archived_claim, backup_dir, settings, tmp_path
):
    """The dump stayed behind without its archive backup and, as the newest,
    stopped a plain `restore` ("No archive backup made together with …")."""
    run("backup")
    good = files_in(backup_dir)
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    settings.MEDIA_ROOT = str(blocked / "archive")
    time.sleep(1)  # backups are named by the second

    with pytest.raises(CommandError) as error:
        run("backup")

    assert "incomplete files" in str(error.value)
    assert "Not a directory" in str(error.value)
    assert files_in(backup_dir) == good


def test_restore_into_an_archive_folder_that_cannot_be_created_changes_nothing(
    archived_claim, backup_dir, settings, tmp_path, make_claim
):
    """It was a NotADirectoryError traceback from the middle of the restore."""
    run("backup")
    make_claim(slug="after-backup")
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    settings.MEDIA_ROOT = str(blocked / "archive")

    with pytest.raises(CommandError) as error:
        run("restore", interactive=False)

    assert f"Cannot create the archive folder {blocked / 'archive'}" in str(error.value)
    assert "Nothing was changed" in str(error.value)
    assert Claim.objects.filter(slug="after-backup").exists()


def test_backup_says_when_it_copies_a_missing_or_altered_warc_file(
    archived_claim, backup_dir, capture_settings
):
    """Retention would otherwise replace every good copy with a bad one
    without a word."""
    archive = Path(capture_settings.MEDIA_ROOT)
    capture = Capture.objects.filter(source__claim=archived_claim).first()
    altered = archive / capture.warc.name
    altered.write_bytes(altered.read_bytes() + b"x")
    errors = io.StringIO()

    with pytest.raises(CommandError, match="1 of the archive's WARC files"):
        call_command("backup", stdout=io.StringIO(), stderr=errors)

    assert f"capture {capture.pk} " in errors.getvalue()
    assert "has been altered" in errors.getvalue()
    assert len(list(backup_dir.glob("*.tar"))) == 1  # the backup was still made


def test_a_capture_on_a_full_disk_leaves_no_partial_warc_and_is_retried(
    transactional_db, capture_settings, make_claim, server
):
    archive = Path(capture_settings.MEDIA_ROOT)
    filesystem = capture_settings.STORAGES
    capture_settings.STORAGES = {
        **filesystem,
        "default": {"BACKEND": "tests.test_backup.FullDiskStorage"},
    }
    source = add_source(make_claim(), url=server.url("/kremlin"))
    capture = source.captures.get()

    with pytest.raises(OSError, match="No space left on device"):
        services.run_capture(capture_id=capture.pk)

    capture.refresh_from_db()
    assert capture.state == Capture.State.PENDING
    assert capture.attempts == 1
    assert "No space left on device" in capture.error
    assert not capture.warc
    assert files_in(archive) == []

    # Room on the disk again: the retry archives the page.
    capture_settings.STORAGES = filesystem
    Capture.objects.filter(pk=capture.pk).update(next_attempt_at=timezone.now())
    services.run_capture(capture_id=capture.pk)
    capture.refresh_from_db()
    assert capture.state == Capture.State.SUCCEEDED
    assert files_in(archive) == [archive / capture.warc.name]
    run("verifyarchive")


def test_verifyarchive_reports_a_file_it_cannot_read_and_checks_the_rest(
    archived_claim, capture_settings
):
    archive = Path(capture_settings.MEDIA_ROOT)
    first, *others = Capture.objects.filter(source__claim=archived_claim).order_by("pk")
    (archive / first.warc.name).unlink()
    (archive / first.warc.name).mkdir()  # or unreadable, or a bad sector
    errors = io.StringIO()

    with pytest.raises(CommandError, match="3 captures checked, 1 missing"):
        call_command("verifyarchive", stdout=io.StringIO(), stderr=errors)

    assert f"capture {first.pk} " in errors.getvalue()
    assert "cannot be read" in errors.getvalue()


def test_capture_command_on_an_unwritable_archive_fails_without_a_traceback(
    tmp_path, server
):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    environment = {
        **os.environ,
        "ARCHIVE_ROOT": str(blocked / "archive"),
        "CAPTURE_ALLOW_NETWORKS": "127.0.0.1/32",
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "capture", server.url("/kremlin"), "--json"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "The capture failed:" in result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["status"] == "failed"
    assert "Internal error" in outcome["error"]
