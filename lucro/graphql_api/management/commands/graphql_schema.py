"""Write the GraphQL SDL to schema.graphql (or, with --check, fail if it has drifted)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lucro.graphql_api.sdl import SDL_PATH, sdl_text


class Command(BaseCommand):
    help = "Write the GraphQL schema's SDL to schema.graphql (--check: only compare)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="Fail if schema.graphql is not up to date."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        text = sdl_text()
        current = SDL_PATH.read_text() if SDL_PATH.exists() else None
        if options["check"]:
            if current != text:
                raise CommandError(f"{SDL_PATH} is out of date: run manage.py graphql_schema.")
            self.stdout.write(f"{SDL_PATH} is up to date.")
            return
        if current == text:
            self.stdout.write(f"{SDL_PATH} is up to date.")
            return
        SDL_PATH.write_text(text)
        self.stdout.write(f"Wrote {SDL_PATH}.")
