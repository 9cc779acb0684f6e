"""The committed SDL is the code's."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from lucro.graphql_api import sdl


def test_committed_sdl_matches_the_code() -> None:
    assert sdl.SDL_PATH.read_text() == sdl.sdl_text(), (
        "schema.graphql drifted from the code: run `python manage.py graphql_schema`."
    )


def test_the_check_fails_on_drift(tmp_path, monkeypatch) -> None:
    stale = tmp_path / "schema.graphql"
    stale.write_text("type Query { old: Int }\n")
    monkeypatch.setattr("lucro.graphql_api.management.commands.graphql_schema.SDL_PATH", stale)
    with pytest.raises(CommandError, match="out of date"):
        call_command("graphql_schema", "--check")
    call_command("graphql_schema")
    assert stale.read_text() == sdl.sdl_text()
    call_command("graphql_schema", "--check")
