"""The CLI commands: geflecht demo and geflecht createuser."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from geflecht.accounts.models import User
from geflecht.cli import main
from geflecht.people.models import Person


@pytest.mark.django_db
def test_demo_command_loads_people_and_prints_logins(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    out = io.StringIO()
    call_command("demo", "--people", "60", "--seed", "5", stdout=out, verbosity=0)
    text = out.getvalue()
    assert "Demo network loaded" in text
    assert "user 'anna' password" in text
    assert Person.objects.count() >= 60
    assert (tmp_path / "demo-logins.txt").read_text().count("password") == 3
    out = io.StringIO()
    call_command("demo", "--if-empty", stdout=out, verbosity=0)
    assert "already holds people" in out.getvalue()


@pytest.mark.django_db
def test_demo_admin_is_a_tenant_admin_who_sees_only_the_demo_tenant(settings, tmp_path, outsider):
    settings.DATA_DIR = tmp_path
    call_command("demo", "--people", "60", "--seed", "5", stdout=io.StringIO(), verbosity=0)
    anna = User.objects.get(username="anna")
    assert (anna.is_staff, anna.is_superuser, anna.is_tenant_admin) == (True, False, True)
    client = Client()
    client.force_login(anna)
    assert client.get("/admin/people/person/").status_code == 200
    users = client.get("/admin/accounts/user/")
    assert users.status_code == 200
    listed = users.content.decode()
    assert "jana" in listed and outsider.username not in listed
    assert client.get(f"/admin/accounts/user/{outsider.pk}/change/").status_code == 302


@pytest.mark.django_db
def test_demo_command_refuses_tiny_networks():
    with pytest.raises(CommandError, match="at least 10"):
        call_command("demo", "--people", "3", verbosity=0)


@pytest.mark.django_db
def test_createuser_creates_a_login_in_a_tenant_and_refuses_duplicates():
    call_command(
        "createuser",
        "kai",
        "--tenant",
        "acme",
        "--password",
        "Zerspanung-5-Achs",
        stdout=io.StringIO(),
    )
    kai = User.objects.get(username="kai")
    assert kai.tenant.slug == "acme"
    assert kai.check_password("Zerspanung-5-Achs")
    with pytest.raises(CommandError, match="already exists"):
        call_command("createuser", "kai", "--password", "Zerspanung-5-Achs")
    with pytest.raises(CommandError, match=r"too short|zu kurz"):
        call_command("createuser", "ute", "--password", "kurz")


def test_geflecht_cli_lists_its_commands(capsys):
    main(["geflecht", "help", "--commands"])
    commands = capsys.readouterr().out.split()
    assert {"serve", "migrate", "createuser", "demo"} <= set(commands)
