"""`manage.py restore`: the database and the WARC archive, from BACKUP_DIR.

Restores the newest database backup (or the one named) and the archive backup
made by the same `manage.py backup` run (or the one named), then re-hashes the
archive with `verifyarchive`. See docs/backup.md.
"""

import contextlib
import gzip
import os
import posixpath
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from pathlib import Path

from dbbackup import utils
from dbbackup.db.base import get_connector
from dbbackup.db.exceptions import CommandConnectorError
from dbbackup.storage import get_storage
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from claims.caching import invalidate_public_pages
from claims.management.commands.backup import (
    archive_storage,
    backup_location,
    check_database,
    is_sqlite,
    s3_location,
)
from claims.management.commands.verifyarchive import CHUNK, file_sha256
from claims.models import Capture


class Command(BaseCommand):
    help = (
        "Restore the database and the archive of WARC files from the newest "
        "backups in BACKUP_DIR (or the ones named), then verify the archive."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--database-backup",
            metavar="NAME",
            help="a database backup file in BACKUP_DIR (default: the newest)",
        )
        parser.add_argument(
            "--archive-backup",
            metavar="NAME",
            help="an archive backup file in BACKUP_DIR (default: the one made "
            "together with the database backup)",
        )
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="do not ask for confirmation",
        )

    def handle(self, *args, database_backup, archive_backup, interactive, **options):
        storage = get_storage()
        connector = get_connector(DEFAULT_DB_ALIAS)
        database_name = choose_database_backup(storage, connector, database_backup)
        archive = archive_storage()
        if archive is None and archive_backup:
            raise CommandError(
                f"The archive lives in S3 ({s3_location()}); it is not restored "
                "from BACKUP_DIR. Recover deleted or altered WARC files from the "
                "bucket's object versions."
            )
        archive_name = None
        if archive is not None:
            archive_name = choose_archive_backup(storage, database_name, archive_backup)
        check_database(connector, getattr(connector, "restore_cmd", ""))
        if archive_name:
            check_archive_folder(archive)

        database = connections[DEFAULT_DB_ALIAS].settings_dict["NAME"]
        self.stdout.write(f"Database  {database} ← {database_name}")
        if archive_name:
            self.stdout.write(f"Archive   {archive.location} ← {archive_name}")
        else:
            self.stdout.write(f"Archive   left as it is in S3 ({s3_location()})")
        if interactive:
            confirm()

        # The archive backup is read to the end before anything is changed: a
        # truncated or damaged one stops the restore here. Then the files
        # missing from the archive are added, which leaves the current
        # database valid if a later step fails; files already there are
        # replaced only after the database, and only where the restored
        # database says the backed-up copy is the right one. So a restore
        # never puts a damaged or incomplete copy over a good file.
        if archive_name:
            members = read_archive_backup(storage, archive_name)
            missing = [name for name in members if not archive.exists(name)]
            put_back(storage, archive_name, archive, missing)
        restore_database(storage, connector, database_name)
        if archive_name:
            put_back(storage, archive_name, archive, altered(archive, members))
        # Cached public pages may show claims the restored database lacks.
        invalidate_public_pages()
        self.stdout.write(self.style.SUCCESS("Restored."))

        if archive_name:
            self.report_unreferenced(archive)
        pending = unapplied_migrations()
        if pending:
            self.stdout.write(
                f"The backup predates {len(pending)} migrations of this code: run "
                "`manage.py migrate`, then `manage.py verifyarchive`."
            )
            return
        try:
            call_command("verifyarchive", stdout=self.stdout, stderr=self.stderr)
        except CommandError as error:
            raise CommandError(
                f"Restored, but the archive does not match the database: {error}"
            ) from error

    def report_unreferenced(self, archive):
        """Files captured after the backup: no restored row points at them.

        They are left in place, since they may be the only copy of evidence
        gathered after the backup was made."""
        extra = unreferenced_files(archive)
        if not extra:
            return
        self.stdout.write(
            "Not referenced by the restored database (captured after the "
            f"backup), left in place in {archive.location}:"
        )
        for name in extra:
            self.stdout.write(f"  {name}")


def choose_database_backup(storage, connector, name):
    """The named database backup, or the newest one for this database engine."""
    location = backup_location(storage)
    if name:
        name = os.path.basename(name)
        if not storage.storage.exists(name) or ".tar" in name:
            raise CommandError(f"No database backup named {name} in {location}.")
        if f".{connector.extension}" not in name:
            raise CommandError(
                f"{name} is not a backup of this kind of database (its name "
                f"would contain .{connector.extension})."
            )
        return name
    # A BACKUP_DIR may hold backups of both SQLite and PostgreSQL; only one
    # kind can be restored here.
    candidates = [
        backup
        for backup in list_backups(storage, "db")
        if f".{connector.extension}" in backup
    ]
    if not candidates:
        raise CommandError(
            f"No database backup in {location}. Make one with `manage.py backup`, "
            "or set BACKUP_DIR to the folder that holds the backup files."
        )
    return max(candidates, key=utils.filename_to_date)


def choose_archive_backup(storage, database_name, name):
    """The named archive backup, or the one made with the database backup."""
    location = backup_location(storage)
    if name:
        name = os.path.basename(name)
        if not storage.storage.exists(name) or ".tar" not in name:
            raise CommandError(f"No archive backup named {name} in {location}.")
        return name
    stamp = utils.filename_to_datestring(database_name)
    paired = [
        backup
        for backup in list_backups(storage, "media")
        if utils.filename_to_datestring(backup) == stamp
    ]
    if not paired:
        raise CommandError(
            f"No archive backup made together with {database_name} in "
            f"{location}; name one with --archive-backup."
        )
    return paired[0]


def check_archive_folder(archive):
    """Fail before anything is changed, rather than with a traceback halfway."""
    folder = Path(archive.location)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CommandError(
            f"Cannot create the archive folder {folder} ({error.strerror}). "
            "Nothing was changed. Set ARCHIVE_ROOT to a folder this user may "
            "write to."
        ) from error
    if not os.access(folder, os.W_OK):
        raise CommandError(
            f"This user may not write to the archive folder {folder}. Nothing "
            "was changed."
        )


def read_archive_backup(storage, name):
    """The SHA-256 of every file in the archive backup, by name; the whole
    backup is read, so that a truncated or damaged one is refused before
    anything has been changed."""
    members = {}
    try:
        with (
            storage.read_file(name) as stored,
            tarfile.open(fileobj=stored, mode="r:*") as tar,
        ):
            for member in tar:
                if not member.isfile():
                    continue
                with tar.extractfile(member) as data:
                    members[member.name] = file_sha256(data)
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise CommandError(
            f"The archive backup {name} cannot be read to the end ({error}); it "
            "is incomplete or damaged. Nothing was changed. Restore an older "
            "backup with --database-backup and --archive-backup."
        ) from error
    return members


def altered(archive, members):
    """Files on disk whose content differs from their backed-up copy, where
    the restored database names the file and the backed-up copy is the one it
    recorded: only then is the copy known to be right. Any other file on disk
    is left as it is (verifyarchive reports it if the database names it)."""
    recorded = dict(Capture.objects.exclude(warc="").values_list("warc", "warc_sha256"))
    changed = []
    for name, digest in members.items():
        if recorded.get(name) != digest:
            continue
        if not archive.exists(name):
            changed.append(name)
            continue
        try:
            with archive.open(name, "rb") as current:
                if file_sha256(current) == digest:
                    continue
        except OSError:
            pass  # unreadable: the backed-up copy is the right one
        changed.append(name)
    return changed


def put_back(storage, backup_name, archive, names):
    """Write these files from the archive backup into the archive, each into a
    temporary file first and then renamed over the old one, so that a file is
    never left half-written or deleted without its replacement."""
    wanted = set(names)
    if not wanted:
        return
    with (
        storage.read_file(backup_name) as stored,
        tarfile.open(fileobj=stored, mode="r:*") as tar,
    ):
        for member in tar:
            if member.name not in wanted or not member.isfile():
                continue
            target = Path(archive.path(member.name))  # refuses ../ and the like
            target.parent.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(
                dir=target.parent, prefix=".restore-"
            )
            try:
                with (
                    os.fdopen(descriptor, "wb") as out,
                    tar.extractfile(member) as data,
                ):
                    shutil.copyfileobj(data, out, CHUNK)
                    out.flush()
                    os.fsync(out.fileno())
                os.chmod(temporary, file_mode(archive))
                os.replace(temporary, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise


def file_mode(archive):
    """The mode the archive's storage gives the files it saves."""
    if archive.file_permissions_mode is not None:
        return archive.file_permissions_mode
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def list_backups(storage, content_type):
    try:
        return storage.list_backups(content_type=content_type)
    except FileNotFoundError:  # BACKUP_DIR was never created: no backups
        return []


def confirm():
    answer = input(
        "This replaces the whole database. Stop the web server and the workers "
        "first. Type 'yes' to continue: "
    )
    if answer.strip().lower() != "yes":
        raise CommandError("Restore cancelled; nothing was changed.")


def restore_database(storage, connector, name):
    # pg_restore drops and recreates every table; no connection of this
    # process may hold it up, and none may outlive the old tables.
    connections.close_all()
    if is_sqlite(connector):
        restore_sqlite(storage, name, connector.settings["NAME"])
        return
    try:
        call_command(
            "dbrestore",
            input_filename=name,
            uncompress=name.endswith(".gz"),
            # Objects belong to the DATABASE_URL user, whatever role owned
            # them on the machine the backup came from.
            pg_options="--no-owner",
            interactive=False,
            verbosity=0,
        )
    except CommandConnectorError as error:
        raise CommandError(f"The database restore failed: {error}") from error


def restore_sqlite(storage, name, path):
    """Copy the backup into the live file with SQLite's backup API.

    dbbackup's SQLite restore overwrites the file, but with WAL on (see
    settings) the -wal file of any open connection is then replayed on top of
    it: the restore is silently undone or the database corrupted."""
    with tempfile.TemporaryDirectory(prefix="restore-") as workdir:
        copy = Path(workdir) / "backup.sqlite3"
        with storage.read_file(name) as stored, open(copy, "wb") as out:
            source = gzip.GzipFile(fileobj=stored) if name.endswith(".gz") else stored
            shutil.copyfileobj(source, out)
        with (
            contextlib.closing(sqlite3.connect(copy)) as backup,
            contextlib.closing(sqlite3.connect(path)) as live,
        ):
            backup.backup(live)


def unreferenced_files(archive):
    referenced = set(Capture.objects.exclude(warc="").values_list("warc", flat=True))
    return sorted(name for name in walk(archive) if name not in referenced)


def walk(storage, folder=""):
    folders, files = storage.listdir(folder)
    for name in files:
        yield posixpath.join(folder, name)
    for name in folders:
        yield from walk(storage, posixpath.join(folder, name))


def unapplied_migrations():
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    return executor.migration_plan(executor.loader.graph.leaf_nodes())
