"""Connected accounts: connect a mailbox, a calendar and an address book, see each one's
last sync and errors, sync now, change the password, disconnect and forget; and the
sharing rule and exclusion list that decide what of it the company sees."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from geflecht.capture import actions, queries
from geflecht.capture.models import AccountKind, ConnectedAccount, Security
from geflecht.lib.errors import DomainError, message_of
from geflecht.lib.visibility import require_writer
from geflecht.people.models import Organization
from geflecht.web.http import AuthedRequest

SHAREABLE_KINDS = [
    (k, label) for k, label in Organization.Kind.choices if k != Organization.Kind.OWN
]


class ConnectForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What"), choices=AccountKind.choices)
    server = forms.CharField(
        label=gettext_lazy("Server"),
        max_length=500,
        help_text=gettext_lazy(
            "Mailbox: the IMAP host (imap.example.com). Calendar and address book: the "
            "CalDAV/CardDAV address (https://dav.example.com/)."
        ),
    )
    port = forms.IntegerField(
        label=gettext_lazy("Port"), required=False, min_value=1, max_value=65535
    )
    security = forms.ChoiceField(
        label=gettext_lazy("Connection"), choices=Security.choices, initial=Security.SSL
    )
    username = forms.CharField(label=gettext_lazy("User name"), max_length=254)
    password = forms.CharField(
        label=gettext_lazy("Password or app password"),
        widget=forms.PasswordInput(render_value=False),
        strip=False,
    )
    folders = forms.CharField(
        label=gettext_lazy("Folders"),
        required=False,
        help_text=gettext_lazy("Comma-separated; empty: the inbox and the sent folder."),
    )
    keep_subject = forms.BooleanField(
        label=gettext_lazy("Keep the subjects of e-mails"), required=False
    )
    aliases = forms.CharField(
        label=gettext_lazy("My other addresses"),
        required=False,
        help_text=gettext_lazy("Comma-separated: addresses that are you (never a contact)."),
    )


def _split(text: str) -> list[str]:
    return [v.strip() for v in text.replace("\n", ",").split(",") if v.strip()]


def _context(request: AuthedRequest, form: ConnectForm | None = None) -> dict:
    sharing = queries.sharing_of(request.user)
    return {
        "form": form or ConnectForm(),
        "accounts": [(a, actions.captured_counts(a)) for a in queries.accounts_of(request.user)],
        "shared_kinds": sharing.org_kinds,
        "shareable_kinds": SHAREABLE_KINDS,
        "exclusions": "\n".join(sharing.exclusions),
        "company_exclusions": sharing.company_exclusions,
    }


@login_required
def connections_page(request: AuthedRequest) -> HttpResponse:
    if request.method == "POST":
        require_writer(request.user)  # before the form: a reader connects nothing
    form = ConnectForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = actions.connect_account(
                request.user,
                actions.AccountInput(
                    kind=data["kind"],
                    server=data["server"],
                    port=data["port"],
                    security=data["security"],
                    username=data["username"],
                    password=data["password"],
                    folders=_split(data["folders"]),
                    keep_subject=data["keep_subject"],
                    aliases=_split(data["aliases"]),
                ),
            )
        except (DomainError, ValidationError, PermissionDenied) as exc:
            _form_errors(form, exc)
            status = 400
        else:
            messages.success(
                request,
                _("%(account)s is connected. Its first sync has started.") % {"account": account},
            )
            return redirect("connections")
    elif request.method == "POST":
        status = 400
    return render(request, "web/pages/connections.html", _context(request, form), status=status)


def _form_errors(form: forms.Form, exc: Exception) -> None:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, message_of(exc))


def _account(request: AuthedRequest, account_id: int) -> ConnectedAccount:
    return actions.account_of(request.user, account_id)


@login_required
@require_POST
def connection_action(request: AuthedRequest, account_id: int, action: str) -> HttpResponse:
    """Sync now, pause, resume, change the password, or disconnect (and forget)."""
    try:
        account = _account(request, account_id)
        if action == "sync":
            actions.sync_now(request.user, account)
            messages.success(request, _("A sync of %(a)s has started.") % {"a": account})
        elif action in ("pause", "resume"):
            actions.update_account(request.user, account, paused=action == "pause")
        elif action == "password":
            password = request.POST.get("password", "")
            if not password:
                raise ValidationError(_("Enter the new password."))
            actions.update_account(request.user, account, password=password)
            messages.success(request, _("The new password is stored; a sync has started."))
        elif action == "settings":
            actions.update_account(
                request.user,
                account,
                interval_minutes=int(
                    request.POST.get("interval_minutes") or account.interval_minutes
                ),
                folders=_split(request.POST.get("folders", "")) if account.kind == "imap" else None,
                keep_subject=bool(request.POST.get("keep_subject"))
                if account.kind == "imap"
                else None,
                aliases=_split(request.POST.get("aliases", "")) if account.kind == "imap" else None,
            )
            messages.success(request, _("The settings of %(a)s are saved.") % {"a": account})
        elif action == "disconnect":
            forget = request.POST.get("forget") == "1"
            removed = actions.disconnect_account(request.user, account, forget=forget)
            if forget:
                messages.success(
                    request,
                    _("%(a)s is disconnected; %(n)d records it brought in are forgotten.")
                    % {"a": account, "n": removed},
                )
            else:
                messages.success(request, _("%(a)s is disconnected.") % {"a": account})
        else:
            raise ValidationError(_("Unknown action."))
    except (DomainError, ValidationError, PermissionDenied, ValueError) as exc:
        messages.error(
            request,
            message_of(exc) if not isinstance(exc, ValueError) else _("Enter a number of minutes."),
        )
    return redirect("connections")


@login_required
@require_POST
def connections_sharing(request: AuthedRequest) -> HttpResponse:
    """Save the sharing rule and the exclusion list."""
    try:
        actions.set_sharing(request.user, request.POST.getlist("org_kinds"))
        actions.set_exclusions(request.user, _split(request.POST.get("exclusions", "")))
    except (DomainError, ValidationError, PermissionDenied) as exc:
        messages.error(request, message_of(exc))
    else:
        messages.success(
            request, _("What is shared is saved; it applies to what is synced from now on.")
        )
    return redirect("connections")
