"""Reading a mailbox over IMAP, against a real Dovecot: who wrote to whom, only the new
messages on the next sync, nothing marked read, never a body."""

from __future__ import annotations

import pytest

from geflecht.capture.imap import (
    Folder,
    ImapAccount,
    default_folders,
    list_folders,
    sync_mailbox,
)
from geflecht.importers.parsers.records import InteractionRecord, ParseProblem

from .dovecot import PASSWORD, dovecot_server, message  # noqa: F401

CUSTOMER = "klaus.berger@kunde-gmbh.de"


@pytest.fixture
def mailbox(dovecot_server):  # noqa: F811
    """A fresh user's account on the shared server (STARTTLS, the test CA trusted)."""
    user = dovecot_server.new_user()
    account = ImapAccount(
        "127.0.0.1",
        user,
        PASSWORD,
        port=dovecot_server.port,
        security="starttls",
        ca_file=str(dovecot_server.cert),
    )
    return dovecot_server, user, account


def _records(changes) -> list[InteractionRecord]:
    return [item for item in changes.items() if isinstance(item, InteractionRecord)]


def _incoming(n: int, user: str, **kwargs) -> bytes:
    return message(
        sender=f"Klaus Berger <{CUSTOMER}>",
        to=[user],
        message_id=f"<in-{n}@kunde-gmbh.de>",
        **kwargs,
    )


def test_first_sync_reads_inbox_and_sent_and_marks_nothing_read(mailbox):
    server, user, account = mailbox
    server.append(user, "INBOX", _incoming(1, user), _incoming(2, user))
    server.append(
        user,
        "Sent",
        message(
            sender=f"Jana Kühn <{user}>", to=[CUSTOMER], message_id="<out-1@mueller-metall.de>"
        ),
    )
    server.append(user, "Trash", _incoming(3, user))

    changes = sync_mailbox(account, None, me={user.upper()})
    records = _records(changes)

    assert sorted(r.external_id for r in records) == [
        "<in-1@kunde-gmbh.de>",
        "<in-2@kunde-gmbh.de>",
        "<out-1@mueller-metall.de>",
    ]
    sent = next(r for r in records if r.source_file == "Sent")
    assert sent.kind == "email" and sent.source_format == "imap"
    assert sent.my_role == "sender"
    assert [(p.email, p.role) for p in sent.participants] == [
        (user, "sender"),
        (CUSTOMER, "recipient"),
    ]
    received = next(r for r in records if r.external_id == "<in-1@kunde-gmbh.de>")
    assert (
        received.my_role == "recipient" and received.participants[0].display_name == "Klaus Berger"
    )
    assert set(changes.state) == {"INBOX", "Sent"}
    assert changes.state["INBOX"]["last_uid"] == 2 and changes.state["Sent"]["last_uid"] == 1
    assert changes.restarted == [] and changes.notices == []
    # Read-only: the user's mail program still shows every message as unread.
    assert all(b"\\Seen" not in line for line in server.flags(user, "INBOX"))
    log = (server.root / "dovecot.log").read_text(errors="replace")
    assert f"imap({user})" in log and "body_count=0" in log
    assert not any(
        f"imap({user})" in line and "body_count=0" not in line and "body_count=" in line
        for line in log.splitlines()
    )


def test_next_sync_brings_only_the_new_messages(mailbox):
    server, user, account = mailbox
    server.append(user, "INBOX", _incoming(1, user), _incoming(2, user))
    state = sync_mailbox(account, None, me={user}, folders=["INBOX"])
    list(state.items())
    first = state.state

    nothing = sync_mailbox(account, first, me={user}, folders=["INBOX"])
    assert list(nothing.items()) == []  # "3:*" matches the highest UID too: not re-read
    assert nothing.state == first

    server.append(user, "INBOX", _incoming(3, user), _incoming(4, user))
    again = sync_mailbox(account, first, me={user}, folders=["INBOX"])
    assert [r.external_id for r in _records(again)] == [
        "<in-3@kunde-gmbh.de>",
        "<in-4@kunde-gmbh.de>",
    ]
    assert again.state["INBOX"] == {"uidvalidity": first["INBOX"]["uidvalidity"], "last_uid": 4}


def test_each_batch_carries_the_state_that_counts_exactly_it(mailbox):
    server, user, account = mailbox
    server.append(user, "INBOX", *(_incoming(n, user) for n in range(1, 6)))
    progress = []

    batches = list(
        sync_mailbox(
            account,
            None,
            me={user},
            folders=["INBOX"],
            batch=2,
            on_progress=lambda folder, done, total: progress.append((folder, done, total)),
        )
    )

    assert [len(b.items) for b in batches] == [2, 2, 1]
    assert [b.state["INBOX"]["last_uid"] for b in batches] == [2, 4, 5]
    assert progress == [("INBOX", 2, 5), ("INBOX", 4, 5), ("INBOX", 5, 5)]
    # A sync that stopped after storing the first batch resumes right after it.
    with sync_mailbox(account, None, me={user}, folders=["INBOX"], batch=2) as stopped:
        first = next(stopped)
    assert stopped.state == first.state == batches[0].state
    assert list(stopped) == []  # logged out: nothing more comes
    resumed = sync_mailbox(account, stopped.state, me={user}, folders=["INBOX"])
    assert [r.entry_no for r in _records(resumed)] == [3, 4, 5]


def test_a_renumbered_folder_is_read_again_from_the_start_and_says_so(mailbox):
    server, user, account = mailbox
    server.command(user, ("create", '"Projekte"'))
    server.append(user, "Projekte", _incoming(1, user))
    first = sync_mailbox(account, None, me={user}, folders=["Projekte"])
    list(first.items())

    # The folder is rebuilt (deleted and made again, as a server migration does): its
    # UIDs now name other messages, and the server says so with a new UIDVALIDITY.
    server.command(user, ("delete", '"Projekte"'), ("create", '"Projekte"'))
    server.append(user, "Projekte", _incoming(1, user), _incoming(2, user))
    again = sync_mailbox(account, first.state, me={user}, folders=["Projekte"])
    records = _records(again)

    assert [r.external_id for r in records] == ["<in-1@kunde-gmbh.de>", "<in-2@kunde-gmbh.de>"]
    assert again.restarted == ["Projekte"]
    assert again.notices == [
        "The server renumbered the folder Projekte, so it was read again from the start."
    ]
    assert again.state["Projekte"]["uidvalidity"] != first.state["Projekte"]["uidvalidity"]


def test_bulk_and_automated_mail_is_marked_and_own_aliases_are_one_me(mailbox):
    server, user, account = mailbox
    alias = "vertrieb@mueller-metall.de"
    server.append(
        user,
        "INBOX",
        _incoming(1, user, extra=["List-Id: <news.kunde-gmbh.de>"]),
        _incoming(2, user, extra=["Auto-Submitted: auto-replied"]),
        _incoming(3, user, extra=["Precedence: bulk"]),
        _incoming(4, user, extra=["List-Unsubscribe: <mailto:leave@kunde-gmbh.de>"]),
        message(sender="no-reply@shop.example", to=[user], message_id="<shop@x>"),
        message(sender="notifications@tracker.example", to=[user], message_id="<bot@x>"),
        message(
            sender=CUSTOMER,
            to=[user, *(f"k{n}@kunde-gmbh.de" for n in range(4))],
            message_id="<all@x>",
        ),
        message(sender=alias, to=[user, CUSTOMER], message_id="<alias@x>"),
    )

    changes = sync_mailbox(account, None, me={user, alias}, bulk_recipient_threshold=3)
    records = {r.external_id: r for r in _records(changes)}

    assert records["<in-1@kunde-gmbh.de>"].bulk_reason == "list-id"
    assert records["<in-2@kunde-gmbh.de>"].bulk_reason == "auto-submitted"
    assert records["<in-3@kunde-gmbh.de>"].bulk_reason == "precedence"
    assert records["<in-4@kunde-gmbh.de>"].bulk_reason == "list-unsubscribe"
    assert records["<shop@x>"].bulk_reason == "no-reply sender"
    assert records["<bot@x>"].bulk_reason == "no-reply sender"
    assert records["<all@x>"].bulk_reason == "many recipients"
    own = records["<alias@x>"]
    assert not own.is_bulk and own.my_role == "sender"
    # Sent from one alias to the other: the user is one participant, the customer the other.
    assert [(p.email, p.role) for p in own.participants] == [
        (alias, "sender"),
        (CUSTOMER, "recipient"),
    ]


def test_a_reply_names_the_message_it_answers(mailbox):
    server, user, account = mailbox
    server.append(
        user,
        "Sent",
        message(
            sender=user,
            to=[CUSTOMER],
            message_id="<re-1@mueller-metall.de>",
            in_reply_to="<in-1@kunde-gmbh.de>",
            extra=["References: <in-0@kunde-gmbh.de> <in-1@kunde-gmbh.de>"],
        ),
    )

    (reply,) = _records(sync_mailbox(account, None, me={user}))
    assert reply.in_reply_to == "<in-1@kunde-gmbh.de>"


def test_the_subject_is_kept_only_when_allowed(mailbox):
    server, user, account = mailbox
    server.append(user, "INBOX", _incoming(1, user, subject="=?utf-8?q?Angebot_Fr=C3=A4skopf?="))

    (hidden,) = _records(sync_mailbox(account, None, me={user}))
    (shown,) = _records(sync_mailbox(account, None, me={user}, keep_subject=True))

    assert hidden.subject == ""
    assert shown.subject == "Angebot Fräskopf"


def test_folders_are_listed_with_their_special_use_and_non_ascii_names(mailbox):
    server, user, account = mailbox
    server.command(user, ("create", '"Gesch&AOQ-ftlich"'))  # "Geschäftlich", as IMAP spells it
    server.append(user, "Gesch&AOQ-ftlich", _incoming(1, user))

    folders = {f.name: f for f in list_folders(account)}

    assert {"INBOX", "Sent", "Trash", "Geschäftlich"} <= set(folders)
    assert folders["Sent"].special_use == "\\Sent" and folders["Trash"].special_use == "\\Trash"
    assert default_folders(folders.values()) == ["INBOX", "Sent"]
    (record,) = _records(sync_mailbox(account, None, me={user}, folders=["Geschäftlich"]))
    assert record.source_file == "Geschäftlich"


def test_a_message_without_sender_is_a_problem_not_an_end(mailbox):
    server, user, account = mailbox
    server.append(
        user, "INBOX", b"To: x@example.com\r\nDate: Tue, 01 Dec 2026 10:00:00 +0100\r\n\r\nhi\r\n"
    )
    server.append(user, "INBOX", _incoming(2, user))

    items = list(sync_mailbox(account, None, me={user}, folders=["INBOX"]).items())

    assert [type(i) for i in items] == [ParseProblem, InteractionRecord]
    assert str(items[0]) == "INBOX, entry 1: no sender address in From header"


def _folder(name: str, *flags: str, delimiter: str = "/") -> Folder:
    return Folder(name, delimiter, frozenset(f.lower() for f in flags))


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["INBOX", "Entwürfe", "Gesendete Objekte"], "Gesendete Objekte"),
        (["INBOX", "Gesendet"], "Gesendet"),
        (["INBOX", "Sent Items", "Trash"], "Sent Items"),
        (["INBOX", "INBOX.Sent", "INBOX.Drafts"], "INBOX.Sent"),
    ],
)
def test_without_special_use_the_sent_folder_is_found_by_its_common_name(names, expected):
    folders = [_folder(n, delimiter="." if "." in n else "/") for n in names]
    assert default_folders(folders) == ["INBOX", expected]


def test_a_flagged_sent_folder_wins_over_a_common_name():
    folders = [_folder("INBOX"), _folder("Sent"), _folder("Postausgang", "\\Sent")]
    assert default_folders(folders) == ["INBOX", "Postausgang"]
    assert default_folders([_folder("INBOX")]) == ["INBOX"]


def test_every_kind_of_connection_reads_the_same_mailbox(mailbox):
    server, user, starttls = mailbox
    server.append(user, "INBOX", _incoming(1, user))
    tls = ImapAccount("127.0.0.1", user, PASSWORD, port=server.tls_port, ca_file=str(server.cert))
    plain = ImapAccount("127.0.0.1", user, PASSWORD, port=server.port, security="plain")

    seen = [
        [r.external_id for r in _records(sync_mailbox(account, None, me={user}))]
        for account in (tls, starttls, plain)
    ]

    assert seen == [["<in-1@kunde-gmbh.de>"]] * 3
    assert ImapAccount("mail.example.com").port == 993
    assert ImapAccount("mail.example.com", security="starttls").port == 143
