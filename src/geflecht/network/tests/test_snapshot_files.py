"""Snapshot files: written once, mapped by every process, caught up from the log.

A process that needs a tenant's snapshot maps the newest complete file and replays the
change log since; it gives exactly the answers of a snapshot built from the database.
A damaged, foreign or outdated file is never used.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest
from django.db import connection, transaction

from geflecht.graph import store
from geflecht.jobs.models import Job
from geflecht.network import snapshot
from geflecht.network.actions import bump_graph_version
from geflecht.network.models import Relationship
from geflecht.network.tests.test_path_privacy import _answers
from geflecht.network.tests.test_reach import Net
from geflecht.network.tests.test_snapshot_replay import ties
from geflecht.people.models import Person


@pytest.fixture
def net(tenant):
    n = Net(tenant)
    n.tie("anna", "jana", 0.9)
    n.tie("anna", "bernd", 0.5)
    n.tie("jana", "kurz", 0.8)
    n.tie("kurz", "weber", 0.7)
    n.tie("bernd", "weber", 0.6)
    return n


def new_process() -> None:
    """What a freshly started process has in memory: nothing (its files stay)."""
    snapshot.forget()


def files_of(tenant_id: int) -> list[str]:
    folder = snapshot.tenant_dir(tenant_id)
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def all_ties(tg: snapshot.TenantGraph) -> tuple:
    return ties(tg), ties(tg, "shared"), sorted(tg.private.items()), tg.person_ids.tolist()


def test_a_process_without_a_file_builds_and_writes_it_and_the_next_one_maps_it(net):
    first = snapshot.current_graph(net.tenant.id)
    assert first.from_file == ""
    assert files_of(net.tenant.id) == [str(first.version)]
    new_process()
    second = snapshot.current_graph(net.tenant.id)
    assert second.from_file == str(snapshot.tenant_dir(net.tenant.id) / str(first.version))
    assert all_ties(second) == all_ties(first)
    assert not second.graph.indptr.flags.writeable, "mapped, not copied"


def test_a_file_plus_the_log_answers_like_a_fresh_build(net):
    snapshot.current_graph(net.tenant.id)  # writes the file of this version
    net.tie("weber", "mayr", 0.4)
    net.tie("anna", "kurz", 0.3, owner=net.anna)
    Relationship.objects.filter(person_a=net["anna"], person_b=net["bernd"]).delete()
    x, y = sorted([net["anna"].pk, net["bernd"].pk])
    bump_graph_version(net.tenant.id, removed=[(x, y, None)])
    new_process()
    caught_up = snapshot.current_graph(net.tenant.id)
    assert caught_up.from_file, "mapped from the older file, then caught up"
    assert caught_up.version == snapshot.graph_version(net.tenant.id)
    assert all_ties(caught_up) == all_ties(snapshot.build_graph(net.tenant.id))
    before = _answers(net)
    new_process()
    shutil.rmtree(snapshot.tenant_dir(net.tenant.id))
    assert _answers(net) == before  # built from the database this time


def test_private_rows_in_a_file_stay_visible_to_their_owner_only(net):
    net.tie("kurz", "weber", 0.99, owner=net.jana)
    net.tie("anna", "mayr", 0.9)
    net.tie("mayr", "weber", 0.9, owner=net.jana)
    secret = Person.objects.create(
        tenant=net.tenant, last_name="Geheim", visibility="private", owner=net.jana
    )
    net.people["secret"] = secret
    net.tie("jana", "secret", 0.99, owner=net.jana)
    net.tie("secret", "weber", 0.99, owner=net.jana)
    built = snapshot.current_graph(net.tenant.id)
    assert built.from_file == ""
    anna_built, jana_built = _answers(net), _jana_answers(net)
    new_process()
    mapped = snapshot.current_graph(net.tenant.id)
    assert mapped.from_file
    assert _answers(net) == anna_built
    assert _jana_answers(net) == jana_built
    shown = str(anna_built)
    assert "Geheim" not in shown and "0.99" not in shown
    kurz, weber = mapped.node(net["kurz"].pk), mapped.node(net["weber"].pk)
    assert mapped.seen_strength(net.anna.pk, kurz, weber) == pytest.approx(0.7)
    assert mapped.seen_strength(net.jana.pk, kurz, weber) == pytest.approx(0.99)


def _jana_answers(net) -> list:
    from geflecht.network.reach import PathOptions, introduction_paths
    from geflecht.network.tests.test_path_privacy import _seen

    return _seen(introduction_paths(net.jana, net["weber"], PathOptions(k=5)))


@pytest.mark.parametrize("damage", ["truncated", "flipped", "no header", "empty folder"])
def test_a_damaged_file_is_ignored_deleted_and_rebuilt(net, damage):
    good = snapshot.current_graph(net.tenant.id)
    folder = snapshot.tenant_dir(net.tenant.id) / str(good.version)
    pool = folder / "pool0.indices.npy"
    if damage == "truncated":
        os.truncate(pool, pool.stat().st_size - 8)
    elif damage == "flipped":
        data = bytearray(pool.read_bytes())
        data[200] ^= 0x01
        pool.write_bytes(bytes(data))
    elif damage == "no header":
        (folder / "header.json").unlink()
    else:
        shutil.rmtree(folder)
        folder.mkdir()
    new_process()
    rebuilt = snapshot.current_graph(net.tenant.id)
    assert rebuilt.from_file == ""
    assert all_ties(rebuilt) == all_ties(good)
    new_process()
    assert snapshot.current_graph(net.tenant.id).from_file, "a good file replaced it"


def test_a_half_written_folder_is_never_opened(net):
    good = snapshot.current_graph(net.tenant.id)
    folder = snapshot.tenant_dir(net.tenant.id)
    # A writer that died before its rename leaves a temporary folder behind.
    (folder / f".{good.version + 1}.tmp-1-abcd").mkdir()
    net.tie("weber", "mayr", 0.4)
    new_process()
    snap = snapshot.current_graph(net.tenant.id)
    assert snap.from_file.endswith(f"/{good.version}")
    assert all_ties(snap) == all_ties(snapshot.build_graph(net.tenant.id))


def test_a_tenant_never_uses_another_tenants_file(net, other_tenant):
    a = Person.objects.create(tenant=other_tenant, last_name="Fremd")
    b = Person.objects.create(tenant=other_tenant, last_name="Geheim")
    rel = Relationship.objects.create(
        tenant=other_tenant, person_a_id=a.pk, person_b_id=b.pk, strength=0.9
    )
    for _ in range(20):  # ahead of the first tenant's version
        bump_graph_version(other_tenant.id, [rel])
    theirs = snapshot.current_graph(other_tenant.id)
    mine = snapshot.current_graph(net.tenant.id)
    assert theirs.version > mine.version
    # Their file lands in our folder under a version we have not reached yet, and under
    # our current version (a mix-up of folders, a restored backup).
    src = snapshot.tenant_dir(other_tenant.id) / str(theirs.version)
    for version in (mine.version, mine.version + 1):
        target = snapshot.tenant_dir(net.tenant.id) / str(version)
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(src, target)
    net.tie("weber", "mayr", 0.4)  # our version moves up to the foreign folder's
    new_process()
    snap = snapshot.current_graph(net.tenant.id)
    assert snap.from_file == ""  # neither foreign folder used: built afresh
    assert snap.node(a.pk) is None and snap.node(b.pk) is None
    assert all_ties(snap) == all_ties(snapshot.build_graph(net.tenant.id))
    assert not (snapshot.tenant_dir(net.tenant.id) / str(mine.version)).exists(), "dropped"
    new_process()
    assert snapshot.current_graph(other_tenant.id).from_file.startswith(
        str(snapshot.tenant_dir(other_tenant.id))
    )


def test_a_file_of_another_database_with_the_same_ids_is_not_used(net):
    snap = snapshot.current_graph(net.tenant.id)
    folder = snapshot.tenant_dir(net.tenant.id) / str(snap.version)
    header = json.loads((folder / "header.json").read_text())
    header["meta"]["fingerprint"][0] = "2020-01-01T00:00:00+00:00"
    (folder / "header.json").write_text(json.dumps(header))
    new_process()
    assert snapshot.current_graph(net.tenant.id).from_file == ""
    # Dropped, and replaced by this database's own.
    assert store.read_meta(folder)["fingerprint"][0] != "2020-01-01T00:00:00+00:00"


def test_forgetting_a_tenant_discards_its_files_for_good(net, tmp_path):
    """An erasure forgets the tenant: files of earlier versions hold the erased ties."""
    old = snapshot.current_graph(net.tenant.id)
    old_folder = snapshot.tenant_dir(net.tenant.id) / str(old.version)
    kept = tmp_path / "kept"
    shutil.copytree(old_folder, kept)
    net.tie("weber", "mayr", 0.4)
    snapshot.forget(net.tenant.id)
    assert files_of(net.tenant.id) == ["floor"]
    shutil.copytree(kept, old_folder)  # a slow writer finishing late with the old lineage
    assert not snapshot.write_file(old)
    new_process()
    snap = snapshot.current_graph(net.tenant.id)
    assert snap.from_file == ""
    assert snap.built_version == snapshot.graph_version(net.tenant.id)


def test_the_worker_job_writes_a_file_once_the_log_has_grown(net, monkeypatch):
    snapshot.current_graph(net.tenant.id)
    v = snapshot.graph_version(net.tenant.id)
    assert snapshot.request_file(net.tenant.id) is None, "the newest file is current"
    monkeypatch.setattr(snapshot, "FILE_AFTER_CHANGES", 3)
    net.tie("weber", "mayr", 0.4)
    assert snapshot.request_file(net.tenant.id) is None, "one change: replaying is cheaper"
    net.tie("anna", "kurz", 0.3)
    net.tie("anna", "weber", 0.2)
    job = snapshot.request_file(net.tenant.id)
    assert job is not None
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.error
    assert job.result["written"] == v + 3
    assert files_of(net.tenant.id) == [str(v), str(v + 3)]
    # A logged full rebuild always asks for a file.
    bump_graph_version(net.tenant.id, full=True)
    assert snapshot.request_file(net.tenant.id) is not None
    assert files_of(net.tenant.id)[-1] == str(v + 4)


def test_one_snapshot_job_per_tenant_at_a_time(net, settings):
    settings.GEFLECHT_TASKS_AT_ONCE = False
    first = snapshot.request_file(net.tenant.id, due=True)
    second = snapshot.request_file(net.tenant.id, due=True)
    assert first is not None and second is not None and first.pk == second.pk
    assert Job.objects.filter(kind=snapshot.SNAPSHOT_JOB).count() == 1


def test_a_process_serves_its_snapshot_until_the_workers_file_of_a_full_rebuild(net, settings):
    settings.GEFLECHT_TASKS_AT_ONCE = False
    before = snapshot.current_graph(net.tenant.id)
    bump_graph_version(net.tenant.id, full=True)
    # No worker has run: the previous snapshot, and a job for the worker.
    assert snapshot.current_graph(net.tenant.id) is before
    job = Job.objects.get(kind=snapshot.SNAPSHOT_JOB)
    assert job.status == Job.Status.QUEUED
    from geflecht.jobs.runner import execute_job

    other = snapshot._cache.graphs.pop(net.tenant.id)  # the worker is another process
    execute_job(job.pk)
    snapshot._cache.graphs[net.tenant.id] = other
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.error
    after = snapshot.current_graph(net.tenant.id)
    assert after.version == snapshot.graph_version(net.tenant.id)
    assert after.from_file.endswith(f"/{after.version}")


def test_superseded_files_are_deleted_after_the_grace_period(net):
    first = snapshot.current_graph(net.tenant.id)
    net.tie("weber", "mayr", 0.4)
    second = snapshot._refreshed(net.tenant.id, None, snapshot.graph_version(net.tenant.id))
    assert snapshot.write_file(second) or files_of(net.tenant.id)[-1] == str(second.version)
    assert snapshot.prune_files(net.tenant.id) == 0, "within the grace period"
    assert files_of(net.tenant.id) == [str(first.version), str(second.version)]
    assert snapshot.prune_files(net.tenant.id, grace=0) == 1
    assert files_of(net.tenant.id) == [str(second.version)]
    # The process that mapped the deleted file still answers from it.
    assert all_ties(first) == all_ties(first)
    assert first.graph.m == len(ties(first))


@pytest.mark.django_db(transaction=True)
def test_a_file_written_by_one_process_is_mapped_by_another(tenant, owner, colleague, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the test database must be visible to a second process (PostgreSQL)")
    x, y = sorted([owner.person_id, colleague.person_id])
    with transaction.atomic():
        rel = Relationship.objects.create(tenant=tenant, person_a_id=x, person_b_id=y, strength=0.8)
        bump_graph_version(tenant.id, [rel])
    written = snapshot.current_graph(tenant.id)
    db = connection.settings_dict
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(sys.path),
        "DJANGO_SETTINGS_MODULE": "geflecht.settings",
        "GEFLECHT_DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "GEFLECHT_SNAPSHOT_DIR": str(snapshot.tenant_dir(tenant.id).parent),
        "GEFLECHT_DATA_DIR": str(tmp_path),
    }
    script = (
        "import django, json, sys; django.setup();"
        "from geflecht.network import snapshot;"
        "s = snapshot.current_graph(int(sys.argv[1]));"
        "print(json.dumps([s.from_file, s.version, s.graph.m, s.person_ids.tolist()]))"
    )
    started = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-c", script, str(tenant.id)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    from_file, version, m, people = json.loads(out.stdout.strip().splitlines()[-1])
    assert from_file == str(snapshot.tenant_dir(tenant.id) / str(written.version))
    assert (version, m, people) == (written.version, 1, written.person_ids.tolist())
    assert time.monotonic() - started < 60


def test_an_erasure_leaves_no_file_with_the_erased_persons_ties(
    net, django_capture_on_commit_callbacks
):
    from geflecht.accounts.models import User
    from geflecht.privacy.actions import erase_person

    admin = User.objects.create_user("admin", tenant=net.tenant, role=User.Role.ADMIN)
    weber = net["weber"].pk
    before = snapshot.current_graph(net.tenant.id)
    assert before.graph.degree(before.node(weber)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        erase_person(admin, net["weber"])
    for folder in snapshot.tenant_dir(net.tenant.id).iterdir():
        if folder.name.isdigit():
            ids = store.load(folder).arrays["person_ids"].tolist()
            assert weber not in ids, f"{folder.name} still knows the erased person"
    new_process()
    after = snapshot.current_graph(net.tenant.id)
    assert after.node(weber) is None
    assert all_ties(after) == all_ties(snapshot.build_graph(net.tenant.id))


def test_a_process_whose_worker_is_down_builds_the_file_itself(net, settings, monkeypatch):
    settings.GEFLECHT_TASKS_AT_ONCE = False
    before = snapshot.current_graph(net.tenant.id)
    bump_graph_version(net.tenant.id, full=True)
    assert snapshot.current_graph(net.tenant.id) is before, "asks the worker first"
    monkeypatch.setattr(snapshot, "WORKER_WAIT_SECONDS", 0.0)
    after = snapshot.current_graph(net.tenant.id)
    assert after.version == snapshot.graph_version(net.tenant.id)
    assert after.from_file == ""
    assert files_of(net.tenant.id)[-1] == str(after.version), "written for the next process"


@pytest.mark.django_db(transaction=True)
def test_threads_of_one_process_share_one_refresh(tenant, owner, colleague, monkeypatch):
    import threading

    x, y = sorted([owner.person_id, colleague.person_id])
    with transaction.atomic():
        rel = Relationship.objects.create(tenant=tenant, person_a_id=x, person_b_id=y, strength=0.8)
        bump_graph_version(tenant.id, [rel])
    shutil.rmtree(snapshot.tenant_dir(tenant.id), ignore_errors=True)
    snapshot.forget()
    builds = []
    real_build = snapshot.build_graph

    def counted(tenant_id):
        builds.append(tenant_id)
        time.sleep(0.2)  # long enough for the other threads to arrive
        return real_build(tenant_id)

    monkeypatch.setattr(snapshot, "build_graph", counted)
    got = []

    def ask():
        try:
            got.append(snapshot.current_graph(tenant.id))
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(builds) == 1 and len(got) == 4
    assert all(g is got[0] for g in got)
