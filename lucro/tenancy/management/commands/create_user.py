from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lucro.core.errors import ApplicationError
from lucro.tenancy.models import Role
from lucro.tenancy.services import organization_get_or_create, user_create


class Command(BaseCommand):
    help = (
        "Add a person to an organization (created if needed) with a role. Without "
        "--password-stdin a password is generated and printed alone on the last line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--org", required=True, help="Organization name")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--name", default="", help="The person's display name")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from standard input (its first line)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = None
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\r\n")
            if not password:
                raise CommandError("No password on standard input.")
        organization = organization_get_or_create(name=options["org"])
        try:
            created = user_create(
                organization=organization,
                email=options["email"],
                role=options["role"],
                name=options["name"],
                password=password,
            )
        except ApplicationError as exc:
            details = "; ".join(e["detail"] for e in exc.errors)
            raise CommandError(f"{exc.detail} {details}".strip()) from exc
        membership = created.membership
        self.stderr.write(f"{membership.user.email} is {membership.role} of {organization.name!r}.")
        if created.generated_password is not None:
            self.stderr.write("Generated password (shown once; store it now):")
            # Alone on the last line of stdout, so scripts can take it with tail -n1.
            self.stdout.write(created.generated_password)
