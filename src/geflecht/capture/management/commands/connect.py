"""geflecht connect: connected mailboxes, calendars and address books, from the shell.

geflecht connect list [--user U]
geflecht connect add imap --server imap.example.com --username me@example.com [--password-stdin]
geflecht connect add caldav --server https://dav.example.com/ --username me
geflecht connect sync ID          (runs the sync now, or queues it for the worker)
geflecht connect remove ID [--keep]   (disconnect; without --keep forget what it brought)
geflecht connect share customer partner   (no kinds: share nothing)
"""

from __future__ import annotations

import getpass
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from geflecht.capture import actions
from geflecht.capture.models import ConnectedAccount
from geflecht.people.cli import get_user


def describe(account: ConnectedAccount) -> str:
    when = (
        timezone.localtime(account.last_sync_at).strftime("%Y-%m-%d %H:%M")
        if account.last_sync_at
        else "never"
    )
    line = f"#{account.pk} {account.get_kind_display()} {account}: {account.get_status_display()}"
    line += f", last sync {when}"
    counts = account.last_result.get("counts", {})
    if counts:
        line += "\n    " + ", ".join(
            f"{k.replace('_', ' ')} {v}" for k, v in sorted(counts.items())
        )
    if account.last_error:
        line += f"\n    {account.last_error}"
    return line


class Command(BaseCommand):
    help = "Connect, list, sync and forget mailboxes, calendars and address books."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["list", "add", "sync", "remove", "share"])
        parser.add_argument(
            "values", nargs="*", help="add: the kind; sync/remove: the id; share: kinds"
        )
        parser.add_argument("--user", help="whose accounts (default: the only user)")
        parser.add_argument("--server", default="")
        parser.add_argument("--port", type=int)
        parser.add_argument("--security", default="ssl", choices=["ssl", "starttls", "plain"])
        parser.add_argument("--username", default="")
        parser.add_argument(
            "--password-stdin", action="store_true", help="read the password from standard input"
        )
        parser.add_argument("--folders", default="", help="comma-separated (mail)")
        parser.add_argument("--aliases", default="", help="my other addresses, comma-separated")
        parser.add_argument("--keep-subject", action="store_true")
        parser.add_argument("--no-check", action="store_true", help="do not sign in first")
        parser.add_argument("--keep", action="store_true", help="remove: keep what it brought")

    def handle(self, *args, action, values, user, **o):
        account_user = get_user(user)
        if action == "list":
            accounts = ConnectedAccount.objects.filter(owner=account_user)
            if not accounts:
                self.stdout.write("No account is connected.")
            for a in accounts:
                self.stdout.write(describe(a))
        elif action == "add":
            if len(values) != 1:
                raise CommandError("add needs the kind: imap, caldav or carddav")
            if o["password_stdin"]:
                password = sys.stdin.readline().rstrip("\n")
            else:
                password = getpass.getpass("Password: ")
            account = actions.connect_account(
                account_user,
                actions.AccountInput(
                    kind=values[0],
                    server=o["server"],
                    port=o["port"],
                    security=o["security"],
                    username=o["username"],
                    password=password,
                    folders=[f for f in o["folders"].split(",") if f.strip()],
                    aliases=[a for a in o["aliases"].split(",") if a.strip()],
                    keep_subject=o["keep_subject"],
                ),
                check=not o["no_check"],
            )
            account.refresh_from_db()
            self.stdout.write(describe(account))
        elif action == "sync":
            account = actions.account_of(account_user, self._id(values))
            job = actions.sync_now(account_user, account)
            job.refresh_from_db()
            account.refresh_from_db()
            self.stdout.write(f"job #{job.pk}: {job.get_status_display()}")
            self.stdout.write(describe(account))
        elif action == "remove":
            account = actions.account_of(account_user, self._id(values))
            removed = actions.disconnect_account(account_user, account, forget=not o["keep"])
            self.stdout.write(f"disconnected {account}; {removed} records forgotten")
        elif action == "share":
            rule = actions.set_sharing(account_user, values)
            kinds = ", ".join(rule.org_kinds) if rule else "nothing"
            self.stdout.write(f"sharing with the company: interactions with people at {kinds}")

    @staticmethod
    def _id(values: list[str]) -> int:
        if len(values) != 1 or not values[0].isdigit():
            raise CommandError("give the account's id (see `geflecht connect list`)")
        return int(values[0])
