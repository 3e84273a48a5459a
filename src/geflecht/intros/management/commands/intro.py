"""geflecht intro list|ask|accept|decline|done|withdraw: introduction requests."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from geflecht.intros import actions, queries
from geflecht.lib.errors import Conflict, NotFound
from geflecht.people.cli import get_person, get_user


class Command(BaseCommand):
    help = "Ask colleagues and contacts for introductions, and answer such requests."

    def add_arguments(self, parser):
        parser.add_argument(
            "action", choices=["list", "ask", "accept", "decline", "done", "withdraw"]
        )
        parser.add_argument("what", nargs="?", help="the target's name (ask) or a request id")
        parser.add_argument("--user")
        parser.add_argument("--broker", help="whom to ask (default: the first on the path)")
        parser.add_argument("--path", type=int, default=None, help="path number, 0 = best")
        parser.add_argument("--message", "-m", default="")
        parser.add_argument("--note", default="")
        parser.add_argument("--channel", default="email", choices=list(actions.INTRO_CHANNELS))

    def handle(self, *args, action, what, user, broker, path, message, note, channel, **opts):
        account = get_user(user)
        try:
            if action == "list":
                self._list(account)
                return
            if not what:
                raise CommandError(f"Say {'whom' if action == 'ask' else 'which request'}.")
            if action == "ask":
                req = actions.ask_for_introduction(
                    account,
                    get_person(account, what),
                    message=message,
                    broker=get_person(account, broker) if broker else None,
                    path_index=path,
                )
            else:
                if not what.isdigit():
                    raise CommandError("Give the request's number (see `geflecht intro list`).")
                pk = int(what)
                if action == "accept":
                    req = actions.accept(account, pk, note=note)
                elif action == "decline":
                    req = actions.decline(account, pk, note=note)
                elif action == "done":
                    req = actions.mark_introduced(account, pk, note=note, channel=channel)
                else:
                    req = actions.withdraw(account, pk)
        except (ValidationError, Conflict, NotFound, PermissionDenied) as exc:
            text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            raise CommandError(text) from None
        self._line(account, req)

    def _line(self, account, req) -> None:
        v = queries.view(account, req)
        requester = req.requester.person.full_name if req.requester.person else "?"
        arrow = f"to {v.broker_label}" if v.direction == "outgoing" else f"from {requester}"
        self.stdout.write(
            f"#{req.pk} [{req.get_status_display()}] {arrow}: introduction to {v.target_label}"
        )
        if v.path:
            self.stdout.write("    path: " + " → ".join(s["label"] for s in v.path))
        self.stdout.write(f"    message: {req.message}")
        if req.broker_note:
            self.stdout.write(f"    note: {req.broker_note}")
        if v.actions:
            self.stdout.write("    you can: " + ", ".join(v.actions))

    def _list(self, account) -> None:
        incoming = list(queries.incoming(account))
        outgoing = list(queries.outgoing(account))
        self.stdout.write(f"To me ({len(incoming)}):")
        for req in incoming:
            self._line(account, req)
        self.stdout.write(f"Mine ({len(outgoing)}):")
        for req in outgoing:
            self._line(account, req)
