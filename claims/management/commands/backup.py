"""`manage.py backup`: the database and the WARC archive, into BACKUP_DIR.

Both parts go through django-dbbackup (`dbbackup`, `mediabackup`); this command
names them after one timestamp so that `manage.py restore` can pair them, and
applies the retention (BACKUP_KEEP). See docs/backup.md.
"""

import contextlib
import shutil
import tarfile
from datetime import datetime
from pathlib import Path

from dbbackup import settings as dbbackup_settings
from dbbackup import utils
from dbbackup.db.base import get_connector
from dbbackup.db.exceptions import CommandConnectorError
from dbbackup.storage import get_storage
from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections

from claims.management.commands.verifyarchive import check_archive

SQLITE = "django.db.backends.sqlite3"


class Command(BaseCommand):
    help = (
        "Back up the database and the archive of WARC files into BACKUP_DIR, "
        "and delete all but the newest BACKUP_KEEP backups of each."
    )

    def handle(self, *args, **options):
        storage = get_storage()
        connector = get_connector(DEFAULT_DB_ALIAS)
        check_database(connector, getattr(connector, "dump_cmd", ""))
        archive = archive_storage()
        database_name, archive_name = backup_names(connector)
        for name in (database_name, archive_name):
            if storage.storage.exists(name):
                raise CommandError(
                    f"A backup named {name} already exists; backups are named "
                    "by the second, so run the command again."
                )

        # The database first: a capture that finishes in between adds a file
        # to the archive that the dump does not mention, which is harmless;
        # the other order could give a dump that names a file the archive
        # backup lacks. A dump without its archive backup is removed too:
        # as the newest, it would stop a plain `restore`.
        names = (database_name,) if archive is None else (database_name, archive_name)
        with removed_if_incomplete(storage, *names):
            dump_database(database_name)
            if archive is not None:
                # mediabackup cannot list a folder that was never created (no
                # capture yet); an empty archive is still worth a backup.
                Path(archive.location).mkdir(parents=True, exist_ok=True)
                call_command("mediabackup", output_filename=archive_name, verbosity=0)
        self.report(storage, "Database", database_name)
        if archive is None:
            self.stdout.write(
                f"Archive   not backed up: it lives in S3 ({s3_location()}), not "
                "on this machine. Protect it in the bucket: turn on versioning "
                "(and Object Lock) so that deleted or overwritten WARC files can "
                "be recovered. See docs/backup.md."
            )
        else:
            self.report(storage, "Archive", archive_name)

        # A missing or altered WARC file goes into the backup as it is now;
        # say so while the older backups still hold a good copy. (An archive
        # in S3 is not in the backup, nor pulled through this machine.)
        damaged = check_archive(self.stderr)[1] if archive is not None else 0

        keep = settings.DBBACKUP_CLEANUP_KEEP
        if keep > 0:
            for content_type in ("db", "media"):
                storage.clean_old_backups(content_type=content_type, keep_number=keep)
        self.stdout.write(
            f"Backups are in {backup_location(storage)}; "
            + (
                f"the newest {keep} of each are kept (BACKUP_KEEP)."
                if keep > 0
                else "all are kept (BACKUP_KEEP=0)."
            )
        )

        if damaged:
            raise CommandError(
                f"The backup was made, but {damaged} of the archive's WARC files "
                "are missing or altered (listed above), and the backup holds them "
                "so. Put back a good copy from an older backup before retention "
                "removes the last one (docs/backup.md, 'Restoring')."
            )

    def report(self, storage, label, name):
        size = utils.bytes_to_str(storage.storage.size(name))
        if ".tar" in name:
            files = count_files(storage, name)
            size = f"{files} file{'' if files == 1 else 's'}, {size}"
        self.stdout.write(f"{label:<9} {backup_path(storage, name)} ({size})")


@contextlib.contextmanager
def removed_if_incomplete(storage, *names):
    """Remove what was written of a backup that could not be finished (the
    disk full, say): under a backup's name it would count towards
    BACKUP_KEEP and be restored as the newest backup."""
    try:
        yield
    except BaseException as error:
        for name in names:
            for leftover in (name, f"{name}.metadata"):
                with contextlib.suppress(Exception):
                    if storage.storage.exists(leftover):
                        storage.storage.delete(leftover)
        if isinstance(error, OSError):
            raise CommandError(
                f"The backup failed and its incomplete files ({', '.join(names)}) "
                f"were removed: {error}"
            ) from error
        raise


def check_database(connector, tool):
    """Fail early, saying what to do, rather than with a traceback from pg_dump
    or pg_restore."""
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        connection.ensure_connection()
    except OperationalError as error:
        raise CommandError(
            f"Cannot connect to the database {connection.settings_dict['NAME']!r}: "
            f"{str(error).strip()}\nCheck DATABASE_URL and that the database "
            "server is running."
        ) from error
    if not is_sqlite(connector) and not shutil.which(tool):
        raise CommandError(
            f"{tool} was not found on PATH. Install the PostgreSQL client tools, "
            f"version {server_major_version(connection)} or newer (Debian and "
            "Ubuntu: apt install postgresql-client), or put them on PATH."
        )


def server_major_version(connection):
    return getattr(connection, "pg_version", 0) // 10000 or "of the server"


def archive_storage():
    """The archive's storage if its files are on this machine, else None (S3)."""
    storage = storages["default"]
    return storage if isinstance(storage, FileSystemStorage) else None


def s3_location():
    storage = storages["default"]
    bucket = getattr(storage, "bucket_name", "") or settings.ARCHIVE_S3_BUCKET
    prefix = getattr(storage, "location", "")
    return f"s3://{bucket}/{prefix}".rstrip("/")


def backup_names(connector):
    """Names for this run's two files, with one timestamp to pair them by.

    A SQLite file is gzipped (it shrinks a lot). A PostgreSQL dump is in
    pg_dump's custom format, compressed already, and the WARC files in the
    archive are gzipped already, so compressing those again gains nothing.
    """
    stamp = datetime.now().strftime(dbbackup_settings.DATE_FORMAT)
    database = utils.filename_generate(
        connector.extension, str(connector.settings["NAME"]), wildcard=stamp
    )
    if is_sqlite(connector):
        database += ".gz"
    archive = utils.filename_generate("tar", content_type="media", wildcard=stamp)
    return database, archive


def is_sqlite(connector):
    return connector.connection.settings_dict["ENGINE"] == SQLITE


def dump_database(name):
    try:
        call_command(
            "dbbackup",
            output_filename=name,
            compress=name.endswith(".gz"),
            verbosity=0,
        )
    except CommandConnectorError as error:
        hint = ""
        if "version mismatch" in str(error):
            hint = "\npg_dump must be the server's major version or newer."
        raise CommandError(f"The database dump failed: {error}{hint}") from error


def count_files(storage, name):
    with storage.read_file(name) as stored, tarfile.open(fileobj=stored) as tar:
        return sum(1 for member in tar if member.isfile())


def backup_location(storage):
    return getattr(storage.storage, "location", None) or str(storage.storage)


def backup_path(storage, name):
    try:
        return storage.storage.path(name)
    except NotImplementedError:  # remote backup storage: no local path
        return name
