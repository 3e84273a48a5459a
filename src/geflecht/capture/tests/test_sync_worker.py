# ruff: noqa: F811 - the dovecot_server fixture is imported, then used by name
"""A real `geflecht worker` killed (SIGKILL) in the middle of a mailbox sync loses
nothing: the next worker goes on from the last stored batch, every message becomes one
interaction exactly once, and the job ends done, not "running"."""

from __future__ import annotations

import signal

from geflecht.capture.tests.dovecot import PASSWORD, dovecot_server, message  # noqa: F401
from geflecht.jobs.tests.test_worker_process import (  # noqa: F401
    _python,
    _row,
    _worker,
    installation,
    wait_until,
)

MESSAGES = 6000

SETUP = """
import json, sys
from geflecht.accounts.models import Tenant, User
from geflecht.capture import actions
from geflecht.people.models import ContactEmail, Person
args = json.loads(sys.argv[1])
tenant = Tenant.objects.create(name="Brenner", slug="brenner")
me = Person.objects.create(tenant=tenant, first_name="Jana", last_name="Kühn")
ContactEmail.objects.create(person=me, email=args["login"])
jana = User.objects.create_user("jana", tenant=tenant, person=me, email=args["login"])
account = actions.connect_account(jana, actions.AccountInput(
    kind="imap", server="127.0.0.1", port=args["port"], security="plain",
    username=args["login"], password=args["password"]), check=False)
print(json.dumps({"account": account.pk}))
"""

STATE = """
SELECT j.status, j.attempts, j.error,
       (SELECT COUNT(*) FROM network_interaction),
       (SELECT COUNT(DISTINCT external_id) FROM network_interaction),
       (SELECT state FROM capture_connectedaccount)
FROM jobs_job j WHERE j.kind = 'capture.sync' ORDER BY j.id DESC LIMIT 1
"""
FIELDS = ("status", "attempts", "error", "interactions", "distinct", "state")


def _state(env: dict) -> dict:
    return dict(zip(FIELDS, _row(env, STATE), strict=True))


def _wait_for(env: dict, ready, timeout: float = 120.0) -> dict:
    return wait_until(lambda: _state(env), ready, timeout)


def test_a_worker_killed_mid_sync_loses_nothing(installation, dovecot_server):
    import json

    env = installation
    login = dovecot_server.new_user()
    dovecot_server.write_maildir(
        login,
        "INBOX",
        (
            message(
                sender=f"Kunde {i % 400} <k{i % 400}@firma{i % 50}.de>",
                to=[login],
                message_id=f"<m{i}@firma.de>",
            )
            for i in range(MESSAGES)
        ),
    )
    args = {"login": login, "port": dovecot_server.port, "password": PASSWORD}
    _python(env, SETUP, json.dumps(args))
    assert _state(env)["status"] == "queued"

    first = _worker(env)
    try:
        # Killed once some batches are stored, before all of them are.
        _wait_for(env, lambda s: s["status"] == "running" and s["interactions"] > 0)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    killed = _state(env)
    assert killed["status"] == "running" and killed["interactions"] < MESSAGES, killed

    second = _worker(env)
    try:
        done = _wait_for(env, lambda s: s["status"] in ("done", "failed"))
    finally:
        second.send_signal(signal.SIGINT)
        second.communicate(timeout=60)
    assert done["status"] == "done", done
    assert done["attempts"] == 2
    assert done["interactions"] == done["distinct"] == MESSAGES  # each message once
