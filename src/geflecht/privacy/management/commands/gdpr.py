"""geflecht gdpr export|erase|consent|audit: data-protection requests from the shell."""

from __future__ import annotations

import sys
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from geflecht.accounts.models import User
from geflecht.people.cli import get_person, get_user
from geflecht.people.models import Person
from geflecht.privacy.actions import erase_person, export_person, set_legal_basis
from geflecht.privacy.models import LegalBasis
from geflecht.privacy.queries import (
    audit_entries,
    export_json,
    get_person_for,
    preview_erasure,
    render_export_text,
)


def _when(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date; use YYYY-MM-DD[THH:MM].") from None
    return timezone.make_aware(value) if timezone.is_naive(value) else value


class Command(BaseCommand):
    help = "Data protection: export (Art. 15) or erase (Art. 17) a person, set a legal basis."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True)
        for name, text in (
            ("export", "everything stored about a person"),
            ("erase", "erase a person for good"),
            ("consent", "set the legal basis / consent of a person"),
            ("audit", "the audit log of a person (admins)"),
        ):
            p = sub.add_parser(name, help=text)
            p.add_argument("person", metavar="PERSON", help="a name or a person id")
            p.add_argument("--user", help="who asks (default: the only user)")
        sub.choices["export"].add_argument("--format", choices=["json", "text"], default="json")
        sub.choices["erase"].add_argument("--yes", action="store_true", help="do not ask")
        consent = sub.choices["consent"]
        consent.add_argument("--basis", required=True, choices=LegalBasis.values)
        consent.add_argument("--given", help="when consent was given (default: now)")
        consent.add_argument("--withdrawn", help="when consent was withdrawn")
        consent.add_argument("--source", help="where the data or consent came from")
        consent.add_argument("--note")

    def handle(self, *args, what, person, user, **options):
        account = get_user(user)
        try:
            subject = self._person(account, person, "erase" if what == "erase" else "export")
            getattr(self, f"_{what}")(account, subject, **options)
        except Person.DoesNotExist:
            raise CommandError(f"No person {person!r} is visible to {account.username}.") from None
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None

    @staticmethod
    def _person(account: User, text: str, purpose: str) -> Person:
        if text.isdigit():
            return get_person_for(account, int(text), purpose=purpose)
        return get_person(account, text)

    def _export(self, account, subject, *, format, **options):
        data = export_person(account, subject)
        self.stdout.write(export_json(data) if format == "json" else render_export_text(data))

    def _erase(self, account, subject, *, yes, **options):
        plan = preview_erasure(account, subject)
        name = f"{subject.full_name} (id {subject.pk})"
        self.stdout.write(
            f"Erasing {name} removes {plan.emails} e-mail addresses, {plan.phones} phone "
            f"numbers, {plan.positions} positions, {plan.relationships} relationships; "
            f"{plan.interactions_deleted} interactions are deleted and "
            f"{plan.interactions_left} keep their other participants; "
            f"{plan.document_versions_deleted} stored document versions that name them "
            "are deleted."
            + (" The linked user account loses its person." if plan.has_user_account else "")
        )
        if not yes:
            if not sys.stdin.isatty():
                raise CommandError("Nothing erased: confirm with --yes.")
            if input("Erase for good? Type yes: ").strip().lower() != "yes":
                raise CommandError("Nothing erased.")
        report = erase_person(account, subject)
        self.stdout.write(
            f"Erased person {report.person_id}; {report.strengths_recomputed} strengths recomputed."
        )

    def _consent(self, account, subject, *, basis, given, withdrawn, source, note, **options):
        fields: dict = {}
        if given is not None:
            fields["consent_given_at"] = _when(given)
        if withdrawn is not None:
            fields["consent_withdrawn_at"] = _when(withdrawn)
        if source is not None:
            fields["source"] = source
        if note is not None:
            fields["note"] = note
        record = set_legal_basis(account, subject, basis, **fields)
        state = ""
        if record.legal_basis == LegalBasis.CONSENT:
            state = (
                f"; consent given {record.consent_given_at:%Y-%m-%d}"
                if record.consent_active
                else f"; consent withdrawn {record.consent_withdrawn_at:%Y-%m-%d}"
            )
        self.stdout.write(f"{subject.full_name}: {record.get_legal_basis_display()}{state}.")

    def _audit(self, account, subject, **options):
        entries = audit_entries(account, person_id=subject.pk)
        for e in entries:
            self.stdout.write(f"{e.at:%Y-%m-%d %H:%M:%S} {e.username} {e.action} {e.detail}")
