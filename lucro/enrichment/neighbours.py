"""Lines like several that an organization corrected: its corrections, generalised past a key.

The merchant memory (``lucro.enrichment.memory``) answers a line whose normalised merchant
key was corrected consistently ``MEMORY_MIN_CORRECTIONS`` times. Real statements rarely
repeat a key exactly — ``POS PURCHASE MAMA NJERI BUTCHERY SOWETO`` one day,
``… BUTCHERY KASARANI`` the next — so ``CorrectionsEnricher``, after the rules and before the
global model, answers a line from the organization's corrected keys that are **like it**:
cosine similarity of the learned model's TF-IDF features (which weigh bank boilerplate such
as ``pos purchase`` near zero) at least ``MEMORY_NEIGHBOUR_SIMILARITY``. The neighbours vote
with their consistent corrections; a category answers when its votes reach
``MEMORY_MIN_CORRECTIONS`` and outnumber all others — the same "a few consistent corrections"
rule as the exact memory, so one slip of the mouse teaches nothing.

Only the row's own organization's corrections are read: a correction never changes another
organization's results. The index is built once per memory version and model, in the
worker that needs it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from lucro.enrichment.chain import Answer, Row
from lucro.enrichment.memory import Entry, Memory, memories_current, merchant_key
from lucro.enrichment.model import CategoryModel, line_document, model_current


def _document(key: str, money_in: bool) -> str:
    return line_document(key, None, money_in)


@dataclass
class Index:
    """One organization's corrected keys as rows of TF-IDF features."""

    memory_version: int
    model_version: str
    vectorizer: Any
    matrix: Any  # scipy CSR, one L2-normalised row per entry
    entries: tuple[Entry, ...]

    @classmethod
    def build(cls, memory: Memory, model: CategoryModel) -> Index:
        vectorizer = model.vectorizer
        documents = [_document(e.key, e.money_in) for e in memory.entries]
        return cls(
            memory.version,
            model.version,
            vectorizer,
            vectorizer.transform(documents),
            memory.entries,
        )

    def votes(
        self, keys: Sequence[tuple[str, bool]], similarity: float
    ) -> list[dict[uuid.UUID, int]]:
        """Return, per line, each category's consistent corrections among its neighbours."""
        queries = self.vectorizer.transform([_document(key, money_in) for key, money_in in keys])
        similar = (queries @ self.matrix.T).tocsr()
        out: list[dict[uuid.UUID, int]] = []
        for line, (_key, money_in) in enumerate(keys):
            start, end = similar.indptr[line], similar.indptr[line + 1]
            tally: dict[uuid.UUID, int] = {}
            for j, value in zip(similar.indices[start:end], similar.data[start:end], strict=True):
                entry = self.entries[j]
                if value >= similarity and entry.money_in == money_in:
                    tally[entry.category_id] = tally.get(entry.category_id, 0) + entry.corrections
            out.append(tally)
        return out


class CorrectionsEnricher:
    """Answer with the category an organization's similar corrected lines agree on, or pass."""

    # Sparse arithmetic over one organization's corrections, only for organizations that
    # have any: safe to run inside the claiming transaction.
    in_process = True

    def __init__(self) -> None:
        self._indexes: dict[uuid.UUID, Index] = {}
        self._answers: dict[tuple[uuid.UUID, float, str], Answer] = {}

    def _index(self, organization: uuid.UUID, memory: Memory, model: CategoryModel) -> Index:
        index = self._indexes.get(organization)
        if index is None or (index.memory_version, index.model_version) != (
            memory.version,
            model.version,
        ):
            if len(self._indexes) > 1_000:
                self._indexes.clear()
            index = self._indexes[organization] = Index.build(memory, model)
        return index

    def enrich(self, rows: Sequence[Row]) -> list[Answer | None]:
        answers: list[Answer | None] = [None] * len(rows)
        memories = memories_current({row.organization_id for row in rows}) if rows else {}
        model = model_current() if memories else None
        if model is None:
            return answers
        least = settings.MEMORY_MIN_CORRECTIONS
        similarity = settings.MEMORY_NEIGHBOUR_SIMILARITY
        for organization, memory in memories.items():
            index = self._index(organization, memory, model)
            positions, keys = [], []
            for position, row in enumerate(rows):
                if row.organization_id == organization:
                    key = merchant_key(row.description, row.merchant_name)
                    if key is not None:
                        positions.append(position)
                        keys.append((key, row.amount > 0))
            if not keys:
                continue
            version = f"corrections:{memory.version}"
            for position, tally in zip(positions, index.votes(keys, similarity), strict=True):
                if not tally:
                    continue
                category_id, count = max(tally.items(), key=lambda item: item[1])
                total = sum(tally.values())
                if count >= least and count * 2 > total:
                    answers[position] = self._answer(category_id, count / total, version)
        return answers

    def _answer(self, category_id: uuid.UUID, confidence: float, version: str) -> Answer:
        key = (category_id, round(confidence, 2), version)
        answer = self._answers.get(key)
        if answer is None:
            if len(self._answers) > 10_000:
                self._answers.clear()
            answer = self._answers[key] = Answer(
                category_id=category_id, confidence=key[1], source="model", model_version=version
            )
        return answer
