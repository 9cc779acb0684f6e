"""The learned enricher: a linear model over statement-line features, after the rules.

What it reads of a line is :func:`line_document`: the direction of the money, then the
description's and the merchant's words, case-folded, with every digit run dropped (dates,
card fragments, references, store numbers say nothing about the category and would make
every line of a merchant look new). :func:`line_features` turns that into the model's
features: each word, each pair of neighbouring words, and the word's first 3, 4 and 5
letters — so a merchant the bank cut off at the end of the line (``PHARMAC``, ``SUPERMAR``)
or glued to a store-format word (``…EXPRESS``) still shares features with its full name.

The model is scikit-learn's ``TfidfVectorizer`` over those features and a multinomial
``LogisticRegression``; its probabilities are the confidence, and below
``min_confidence`` (chosen on the tuning set, stored with the model,
``MODEL_MIN_CONFIDENCE`` overrides it) the enricher passes, so the row stays uncategorised
rather than wrong. It is trained by ``manage.py train_category_model`` (see
``lucro.enrichment.training``) and saved with ``skops`` — a format that, unlike pickle,
loads only the types it is told to trust.

A worker loads the model once (``model_current``). Lines repeat — a merchant's name on
thousands of rows, with different dates and references that the document drops — so the
enricher keeps each document's answer in a bounded per-process cache and runs the model only
on documents it has not seen.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

from lucro.enrichment.chain import Answer, Row

logger = logging.getLogger(__name__)

DEFAULT_MODEL_PATH = Path(__file__).resolve().parent / "data" / "category_model.skops"

# Letter runs only: digits, punctuation and symbols separate words and are dropped.
_WORD = re.compile(r"[^\W\d_]+")
_PREFIXES = (3, 4, 5)
_JOINED = 8  # words at least this long also give their letter 4-grams
_IN, _OUT = "+", "-"
# Separates the parts of a document; never inside a word (words are letters only).
_SEP = "|"

# Bounded caches: a worker meets a few thousand merchants; past this many it starts over.
_CACHE_MAX = 200_000


def line_document(description: str | None, merchant_name: str | None, money_in: bool) -> str:
    """Return the canonical text the model reads of a line (also its cache key)."""
    words = _WORD.findall(description.casefold()) if description else []
    merchant = _WORD.findall(merchant_name.casefold()) if merchant_name else []
    return f"{_IN if money_in else _OUT}{_SEP}{' '.join(words)}{_SEP}{' '.join(merchant)}"


def _word_features(word: str, tag: str) -> list[str]:
    """The features one word gives on its own (a pair of words gives one more)."""
    if len(word) <= 1:
        return []
    features = [word]
    if tag:
        features.append(tag + word)
    features.extend(f"{word[:k]}…" for k in _PREFIXES if len(word) > k)
    if len(word) >= _JOINED:
        # Letter 4-grams inside a long word: a name printed joined (``OLDMUTUAL``) shares
        # them with the words it joins.
        features.extend(f"·{word[i : i + 4]}" for i in range(len(word) - 3))
    return features


def line_features(document: str) -> list[str]:
    """Return the features of a canonical document (``line_document``'s output).

    The vectorizer's analyzer at training time; ``Featuriser`` computes the same features'
    columns faster when the model answers.
    """
    sign, description, merchant = document.split(_SEP)
    features = [sign]
    for part, tag in ((description, ""), (merchant, "m:")):
        if not part:
            continue
        previous = None
        for word in part.split(" "):
            features.extend(_word_features(word, tag))
            if previous is not None:
                features.append(f"{previous} {word}")
            previous = word
    return features


class Featuriser:
    """The fitted vectorizer's transform, with each word's columns remembered.

    scikit-learn's ``TfidfVectorizer.transform`` builds every feature string of every
    document and looks each up (≈ 19 µs a document here). Documents are mostly known words
    in new combinations (a merchant, a suburb), so this looks a word's columns up once and
    keeps them; per document only the word pairs are looked up. The arithmetic is the
    vectorizer's: counts, ``1 + log(count)`` (sublinear tf), × idf, L2-normalised rows.
    ``test_model.py`` checks it against ``vectorizer.transform``.
    """

    _MAX_WORDS = 500_000

    def __init__(self, vocabulary: dict[str, int], idf: np.ndarray) -> None:
        self.vocabulary = vocabulary
        self.idf = np.asarray(idf, dtype=np.float64)
        self._words: dict[tuple[str, str], list[int]] = {}

    def _columns(self, word: str, tag: str) -> list[int]:
        key = (word, tag)
        columns = self._words.get(key)
        if columns is None:
            if len(self._words) > self._MAX_WORDS:
                self._words.clear()
            get = self.vocabulary.get
            columns = [c for c in (get(f) for f in _word_features(word, tag)) if c is not None]
            self._words[key] = columns
        return columns

    def transform(self, documents: Sequence[str]) -> Any:
        from scipy.sparse import csr_matrix

        get = self.vocabulary.get
        indptr: list[int] = [0]
        indices: list[int] = []
        counts: list[int] = []
        for document in documents:
            sign, description, merchant = document.split(_SEP)
            tally: dict[int, int] = {}
            column = get(sign)
            if column is not None:
                tally[column] = 1
            for part, tag in ((description, ""), (merchant, "m:")):
                if not part:
                    continue
                previous = None
                for word in part.split(" "):
                    for column in self._columns(word, tag):
                        tally[column] = tally.get(column, 0) + 1
                    if previous is not None:
                        column = get(f"{previous} {word}")
                        if column is not None:
                            tally[column] = tally.get(column, 0) + 1
                    previous = word
            indices.extend(tally)
            counts.extend(tally.values())
            indptr.append(len(indices))
        values: np.ndarray = np.log(np.asarray(counts, dtype=np.float64)) + 1.0
        values *= self.idf[indices]
        rows = np.repeat(np.arange(len(documents)), np.diff(indptr))
        norms = np.sqrt(np.bincount(rows, weights=np.square(values), minlength=len(documents)))
        norms[norms == 0] = 1.0
        values /= norms[rows]
        return csr_matrix(
            (values, np.asarray(indices, dtype=np.int32), np.asarray(indptr, dtype=np.int32)),
            shape=(len(documents), len(self.idf)),
        )


@dataclass(frozen=True)
class CategoryModel:
    """A trained model and what it needs to answer: its version, classes and threshold."""

    version: str
    vectorizer: Any  # a fitted TfidfVectorizer(analyzer=line_features)
    coef: Any  # scipy CSR, one row of (pruned) weights per class
    intercept: np.ndarray
    classes: tuple[str, ...]  # category slugs, in the weights' row order
    min_confidence: float
    temperature: float  # divides the scores before the softmax: calibrates the confidence
    metadata: dict[str, Any]

    @classmethod
    def from_pipeline(cls, pipeline: Any, **fields: Any) -> CategoryModel:
        """Take the fitted pieces of a ``features → classifier`` pipeline (training)."""
        classifier = pipeline.named_steps["classifier"]
        return cls(
            vectorizer=pipeline.named_steps["features"],
            coef=classifier.coef_,
            intercept=np.asarray(classifier.intercept_),
            classes=tuple(str(c) for c in classifier.classes_),
            **fields,
        )

    @functools.cached_property
    def featuriser(self) -> Featuriser:
        return Featuriser(self.vectorizer.vocabulary_, self.vectorizer.idf_)

    def scores(self, documents: Sequence[str]) -> np.ndarray:
        """Return the linear scores of each document for each class."""
        features = self.featuriser.transform(documents)
        return np.asarray((features @ self.coef.T).todense()) + self.intercept

    def predict(self, documents: Sequence[str]) -> list[tuple[str, float]]:
        """Return ``(slug, probability)`` of the most likely category of each document."""
        if not documents:
            return []
        scores = self.scores(documents) / self.temperature
        best = scores.argmax(axis=1)
        top = scores[np.arange(len(documents)), best]
        # The softmax's value at the best class only: 1 / Σ exp(z - z_best).
        confidence = 1.0 / np.exp(scores - top[:, None]).sum(axis=1)
        return [(self.classes[b], float(c)) for b, c in zip(best.tolist(), confidence, strict=True)]


# What a saved model may hold beyond skops' own default-trusted types (numpy arrays and
# scalars, plain containers): the sparse weight matrix. Named one by one — a prefix such as
# "builtins." would also trust ``builtins.eval``. A file holding any other type refuses to
# load: data, never code (the feature function is this module's, bound at load).
TRUSTED_TYPES = frozenset({"scipy.sparse._csr.csr_matrix", "scipy.sparse._csc.csc_matrix"})


def model_save(model: CategoryModel, path: Path) -> None:
    """Save the model as arrays (``skops``): the vocabulary as two arrays, not a dict.

    skops rebuilds a dict entry by entry, and a fitted vectorizer's vocabulary has ≈ 80 000:
    loading the whole pipeline object took 3.6 s, the arrays 0.1 s (measured).
    """
    import skops.io as sio

    vocabulary = model.vectorizer.vocabulary_
    path.parent.mkdir(parents=True, exist_ok=True)
    sio.dump(
        {
            "format": 2,
            "version": model.version,
            "terms": np.array(list(vocabulary.keys())),
            "columns": np.array(list(vocabulary.values()), dtype=np.int32),
            "idf": np.asarray(model.vectorizer.idf_),
            "coef": model.coef,
            "intercept": model.intercept,
            "classes": list(model.classes),
            "min_confidence": model.min_confidence,
            "temperature": model.temperature,
            "metadata": model.metadata,
        },
        path,
        compression=8,  # zipfile.ZIP_DEFLATED
    )


def model_load(path: Path) -> CategoryModel:
    """Load a saved model, refusing any type that is not plain data."""
    import skops.io as sio
    from sklearn.feature_extraction.text import TfidfVectorizer

    untrusted = sio.get_untrusted_types(file=path)
    refused = sorted(t for t in untrusted if t not in TRUSTED_TYPES)
    if refused:
        raise ValueError(f"{path} holds types Lucro does not trust: {', '.join(refused)}")
    state = sio.load(path, trusted=untrusted)
    vectorizer = TfidfVectorizer(analyzer=line_features, sublinear_tf=True, dtype=np.float32)
    vectorizer.vocabulary_ = dict(
        zip(state["terms"].tolist(), state["columns"].tolist(), strict=True)
    )
    vectorizer.idf_ = state["idf"]
    return CategoryModel(
        version=str(state["version"]),
        vectorizer=vectorizer,
        coef=state["coef"].tocsr(),
        intercept=np.asarray(state["intercept"]),
        classes=tuple(state["classes"]),
        min_confidence=float(state["min_confidence"]),
        temperature=float(state["temperature"]),
        metadata=dict(state["metadata"]),
    )


_lock = threading.Lock()
_loaded: dict[str, CategoryModel | None] = {}
LOAD_SECONDS: dict[str, float] = {}


def model_path() -> Path:
    configured = settings.CATEGORY_MODEL_PATH
    return Path(configured) if configured else DEFAULT_MODEL_PATH


def model_current() -> CategoryModel | None:
    """Return this process's model, loaded on first use (None when there is no model file)."""
    path = str(model_path())
    if path in _loaded:
        return _loaded[path]
    with _lock:
        if path not in _loaded:
            started = time.perf_counter()
            model: CategoryModel | None
            if not Path(path).exists():
                logger.warning("category model %s not found: the model enricher passes", path)
                model = None
            else:
                try:
                    model = model_load(Path(path))
                except Exception:
                    # A damaged or untrusted file must not fail every chunk: the rules still
                    # answer, and the log says why the model does not.
                    logger.exception("category model %s did not load: the enricher passes", path)
                    model = None
            LOAD_SECONDS[path] = time.perf_counter() - started
            _loaded[path] = model
        return _loaded[path]


def model_forget() -> None:
    """Drop the loaded model (tests, and after ``train_category_model`` in one process)."""
    with _lock:
        _loaded.clear()


class ModelEnricher:
    """Answer with the learned model's category when it is confident enough, or pass."""

    # Pure CPU on a loaded model: safe to run inside the claiming transaction, like the rules.
    in_process = True

    def __init__(self) -> None:
        self._model: CategoryModel | None = None
        self._categories: dict[str, uuid.UUID] = {}
        self._cache: dict[str, Answer | None] = {}
        self._answers: dict[tuple[uuid.UUID, float], Answer] = {}
        self._threshold = 0.0

    def warm(self) -> None:
        """Load the model now (a worker process calls this as it starts: tasks.py)."""
        model = model_current()
        if model is not None:
            model.featuriser  # noqa: B018 - built once, here rather than in the first chunk

    def _bind(self, model: CategoryModel, threshold: float) -> None:
        from lucro.taxonomy.models import Category

        self._categories = dict(
            Category.objects.filter(slug__in=model.classes).values_list("slug", "id")
        )
        self._cache = {}
        self._answers = {}
        self._model = model
        self._threshold = threshold

    def enrich(self, rows: Sequence[Row]) -> list[Answer | None]:
        model = model_current()
        if model is None or not rows:
            return [None] * len(rows)
        configured = settings.MODEL_MIN_CONFIDENCE
        threshold = model.min_confidence if configured is None else configured
        if model is not self._model or threshold != self._threshold:
            # The cache holds answers already held to the threshold.
            self._bind(model, threshold)
        cache = self._cache
        documents = [
            line_document(row.description, row.merchant_name, row.amount > 0) for row in rows
        ]
        unseen = list({d: None for d in documents if d not in cache})
        if unseen:
            if len(cache) + len(unseen) > _CACHE_MAX:
                cache.clear()
            for document, (slug, confidence) in zip(unseen, model.predict(unseen), strict=True):
                category_id = self._categories.get(slug)
                cache[document] = (
                    self._answer(category_id, confidence, model.version)
                    if category_id is not None and confidence >= threshold
                    else None
                )
        return [cache[d] for d in documents]

    def _answer(self, category_id: uuid.UUID, confidence: float, version: str) -> Answer:
        # Shared Answer objects (one per category and confidence to two places): the
        # write-back sends each distinct answer once.
        key = (category_id, round(confidence, 2))
        answer = self._answers.get(key)
        if answer is None:
            answer = self._answers[key] = Answer(
                category_id=category_id,
                confidence=key[1],
                source="model",
                model_version=version,
            )
        return answer
