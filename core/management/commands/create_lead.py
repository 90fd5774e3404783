"""manage.py create_lead: the first agency lead, who can then set up everyone else.

Django's createsuperuser makes a user with no agency role, to whom every page
answers 403. The agency lead is a superuser (the admin is theirs) with the
lead role (every practice).

    manage.py create_lead --username dana --email dana@agency.example
    ROUNDS_LEAD_PASSWORD=... manage.py create_lead --username dana --email ... --no-input

Without a terminal (`docker compose exec -T`, a script) the password cannot be
typed: the command says to use --no-input instead of failing on end of input.
"""

from __future__ import annotations

import getpass
import os
import sys
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from core.models import AuditEvent, User

PASSWORD_VARIABLE = "ROUNDS_LEAD_PASSWORD"  # noqa: S105 (the variable's name, not a password)


class Command(BaseCommand):
    help = "Create an agency lead: a superuser with the agency lead role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--no-input",
            action="store_true",
            help=f"take the password from the {PASSWORD_VARIABLE} environment variable",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_input"] and not sys.stdin.isatty():
            raise CommandError(
                "No terminal to type the password in: run with --no-input and the password "
                f"in {PASSWORD_VARIABLE} (docker compose exec -T -e {PASSWORD_VARIABLE} web "
                "python manage.py create_lead ... --no-input); nothing was created."
            )
        username, email = options["username"].strip(), options["email"].strip().lower()
        if User.objects.filter(username__iexact=username).exists():
            raise CommandError(f"A user named {username!r} exists already.")
        if User.objects.filter(email__iexact=email).exists():
            raise CommandError(f"A user with the e-mail address {email!r} exists already.")
        user = User(
            username=username,
            email=email,
            first_name=options["first_name"],
            last_name=options["last_name"],
            agency_role=User.AgencyRole.LEAD,
            is_staff=True,
            is_superuser=True,
        )
        password = self._password(user, no_input=options["no_input"])
        user.set_password(password)
        with transaction.atomic():
            user.save()
            AuditEvent.record(
                "lead_created", actor_label="manage.py create_lead", obj=user, detail={}
            )
        self.stdout.write(f"Agency lead {username} created. Log in at /login/.")

    def _password(self, user: User, *, no_input: bool) -> str:
        if no_input:
            password = os.environ.get(PASSWORD_VARIABLE, "")
            if not password:
                raise CommandError(f"--no-input needs the password in {PASSWORD_VARIABLE}.")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ; nothing was created.")
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        return password
