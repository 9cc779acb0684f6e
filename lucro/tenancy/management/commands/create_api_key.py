from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from lucro.tenancy.services import api_key_create, organization_get_or_create


class Command(BaseCommand):
    help = "Create an API key for an organization (created if needed); print the raw key last."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="Organization name")
        parser.add_argument("--name", default="default", help="A label for the key")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = organization_get_or_create(name=options["org"])
        created = api_key_create(organization=organization, name=options["name"])
        self.stderr.write(
            f"Created API key {created.api_key.prefix}… for organization "
            f"{organization.name!r}. It is shown once; store it now."
        )
        # The raw key alone on the last line of stdout, so scripts can take it with tail -n1.
        self.stdout.write(created.raw_key)
