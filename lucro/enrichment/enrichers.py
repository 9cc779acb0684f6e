"""Enrichers shipped with Lucro. Each is named in ``settings.ENRICHERS`` by dotted path."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from lucro.enrichment.chain import Answer, Row
from lucro.enrichment.matcher import Matcher, RuleSpec
from lucro.enrichment.metrics import MATCHER_REBUILDS
from lucro.enrichment.models import Rule
from lucro.enrichment.rules_version import rules_version_current

_lock = threading.Lock()
_current: Matcher | None = None


def matcher_build(version: int = 0) -> Matcher:
    """Compile every active rule (all organizations and the global ones) into a matcher."""
    specs = [RuleSpec.from_rule(rule) for rule in Rule.objects.filter(is_active=True)]
    MATCHER_REBUILDS.inc()
    return Matcher(specs, version=version)


def matcher_current() -> Matcher:
    """Return this process's matcher, recompiled only when the rule-set version moved.

    Costs one primary-key read per call; a worker calls it once per chunk, so a rule written
    through the API or the admin takes effect on the next chunk of every running worker.
    """
    global _current
    version = rules_version_current()
    matcher = _current
    if matcher is None or matcher.version != version:
        with _lock:
            if _current is None or _current.version != version:
                _current = matcher_build(version)
            matcher = _current
    return matcher


class RuleEnricher:
    """Answer with the category of the winning rule (confidence 1.0), or pass."""

    # Pure CPU on a compiled matcher: safe to run inside the claiming transaction.
    in_process = True

    def __init__(self) -> None:
        # One Answer per rule, made once per compiled matcher: the chunk's rows then share
        # a few hundred objects, which the write-back renders once each.
        self._answers: tuple[Matcher | None, list[Answer]] = (None, [])

    def _answers_for(self, matcher: Matcher) -> list[Answer]:
        built_for, answers = self._answers
        if built_for is not matcher:
            answers = [
                Answer(category_id=spec.category_id, confidence=1.0, source="rule", rule_id=spec.id)
                for spec in matcher.rules
            ]
            self._answers = (matcher, answers)
        return answers

    def enrich(self, rows: Sequence[Row]) -> list[Answer | None]:
        matcher = matcher_current()
        answers = self._answers_for(matcher)
        return [answers[rank] if rank >= 0 else None for rank in matcher.match_many(rows)]
