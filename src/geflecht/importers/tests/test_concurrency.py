"""Imports of one tenant running at the same time: the same file uploaded four times at
once creates each person once. Real threads, real database."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.db import connection

from geflecht.importers import load
from geflecht.importers.models import ImportLock
from geflecht.people.models import ContactEmail, Organization, Person

UPLOADS = 4


def _race(path: Path, user, monkeypatch, **options) -> list:
    """Import ``path`` UPLOADS times at once; the outcome (report or exception) of each.

    Every import has loaded what it knows before any of them writes (a barrier at the
    first parsed entry): the race of the bug report, made certain instead of likely.
    The in-memory SQLite test database refuses a second writer at once instead of letting
    it wait, so there the imports take turns after the barrier, as a SQLite file makes
    them do; on PostgreSQL all of them write at the same moment.
    """
    started = threading.Barrier(UPLOADS, timeout=30)
    turns = [threading.Event() for _ in range(UPLOADS + 1)]
    turns[0].set()
    sqlite = connection.vendor == "sqlite"
    real_parse_file = load.parse_file
    local = threading.local()

    def parse_file(*args, **kwargs):
        started.wait()
        if sqlite:
            turns[local.no].wait(timeout=30)
        yield from real_parse_file(*args, **kwargs)

    monkeypatch.setattr(load, "parse_file", parse_file)
    outcomes: list = [None] * UPLOADS

    def upload(no: int) -> None:
        local.no = no
        try:
            outcomes[no] = load.import_file(path, user=user, **options)
        except Exception as exc:  # the test shows it
            outcomes[no] = exc
        finally:
            turns[no + 1].set()
            connection.close()

    threads = [threading.Thread(target=upload, args=(no,)) for no in range(UPLOADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_parallel_imports_of_the_same_address_book_create_each_person_once(
    tenant, owner, tmp_path, monkeypatch
):
    path = tmp_path / "kunden.vcf"
    path.write_text(
        "".join(
            "BEGIN:VCARD\r\nVERSION:3.0\r\n"
            f"N:Kunde{i:02d};Karla;;;\r\nFN:Karla Kunde{i:02d}\r\n"
            f"EMAIL:karla.kunde{i:02d}@kunde.example\r\nORG:Kunde {i % 3} GmbH\r\n"
            "END:VCARD\r\n"
            for i in range(20)
        ),
        encoding="utf-8",
    )
    # The tenant has imported before: its lock row exists (on the in-memory SQLite test
    # database four threads creating it at once would collide instead of waiting).
    ImportLock.objects.create(tenant=tenant)
    reports = _race(path, owner, monkeypatch)
    assert Person.objects.filter(last_name__startswith="Kunde").count() == 20
    assert ContactEmail.objects.filter(email__endswith="@kunde.example").count() == 20
    assert Organization.objects.filter(name__startswith="Kunde ").count() == 3
    assert sorted(r.people.created for r in reports) == [0, 0, 0, 20]
