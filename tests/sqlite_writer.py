"""
One process of the SQLite concurrency test (run with -m): read then write in a loop, the
pattern of a web request and a capture worker saving at once. Prints the number
of "database is locked" errors. Usage: sqlite_writer.py DB_PATH ITERATIONS MODE
"""

import sys
import time

import django
from django.conf import settings

from factcheck.settings import database_from_url

path, iterations, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
database = database_from_url(f"sqlite:///{path}")
if mode == "deferred":
    del database["OPTIONS"]["transaction_mode"]
settings.configure(DATABASES={"default": database}, INSTALLED_APPS=[], USE_TZ=True)
django.setup()

from django.db import OperationalError, connection, transaction  # noqa: E402

locked = 0
for number in range(iterations):
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM job")
            cursor.fetchone()
            time.sleep(0.002)
            cursor.execute("INSERT INTO job (value) VALUES (%s)", [number])
    except OperationalError as error:
        if "locked" not in str(error):
            raise
        locked += 1
print(locked)
