"""Intent and FAQ-topic classifier: character n-grams and a linear SVM.

One model predicts every label at once — the intents and the `faq/<topic>` sub-intents —
and writes Rasa's usual `intent`, `intent_ranking` and `response_selector` output, so
rules, `utter_faq`, `rasa test` and the HTTP API work unchanged.

Why not Rasa's DIET and ResponseSelector: on this data (two languages, about 300 examples
a label in each language, Kyrgyz often typed without ү ө ң or in Latin letters) character
n-grams over folded text, Latin letters read as the Cyrillic they stand for
(`matching_form`), are as accurate, train in seconds instead of many minutes, and answer in
about a millisecond.
See README, "Understanding quality" and "Speed".
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import zlib
from typing import Any, Optional

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from core import courtesy, language
from core.courtesy import (
    COURTESY_INTENTS,
    GREETING_INTENT,
    NOT_REQUESTS,
    clauses,
    courtesy_vocabulary,
    greeted_copies,
    greeting_companions,
    is_question,
    only_greeting_words,
    request_part,
)
from core.language import matching_form
from core.validation import mentions_self_harm

logger = logging.getLogger(__name__)

DELIMITER = "/"
# Thoughts of suicide or self-harm are answered first, whatever the classifier's margins say.
CRISIS_LABEL = "faq/emergency"
# The shortest character n-gram that counts towards a message's coverage (see _coverage).
COVERAGE_MIN_NGRAM = 4
# Set in the parse data when a request came inside a greeting.
GREETED = "greeted"


def _vectorizer(min_n: int, max_n: int) -> TfidfVectorizer:
    return TfidfVectorizer(
        preprocessor=matching_form, analyzer="char_wb", ngram_range=(min_n, max_n), sublinear_tf=True
    )


def _span_vectorizer(min_n: int, max_n: int) -> TfidfVectorizer:
    """N-grams across word boundaries: "не против", "больше не хочу" read as one piece."""
    return TfidfVectorizer(
        preprocessor=matching_form, analyzer="char", ngram_range=(min_n, max_n), sublinear_tf=True, min_df=2
    )


def _confidence(scores: np.ndarray, midpoint: float, slope: float) -> np.ndarray:
    """One-vs-rest margins to independent confidences in (0, 1)."""
    return 1.0 / (1.0 + np.exp(-slope * (scores - midpoint)))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TextClassifier(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "min_ngram": 2,
            "max_ngram": 5,
            # A second block of character n-grams that cross word boundaries; None: without.
            "span_ngram": None,
            "C": 1.0,
            # Confidence = sigmoid(slope * (margin - midpoint)): an SVM margin at the
            # midpoint is a 0.5 confidence, the FallbackClassifier's threshold.
            "midpoint": -0.45,
            "slope": 5.0,
            "ranking_length": 10,
            # A request found inside a greeting is taken when at least this confident (the
            # FallbackClassifier's threshold): otherwise the message is a greeting.
            "request_threshold": 0.5,
            # Below this share of known character n-grams a message is gibberish to the model
            # ("ыыыыы ккк", "asdfgh"): its confidences shrink in proportion, so the
            # FallbackClassifier asks again instead of guessing a topic.
            "min_coverage": 0.5,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.vectorizer: Optional[TfidfVectorizer] = None
        self.span_vectorizer: Optional[TfidfVectorizer] = None
        self.coef: Optional[np.ndarray] = None
        self.intercept: Optional[np.ndarray] = None
        self.labels: list[str] = []
        self.courtesy: frozenset[str] = frozenset()
        # The words greetings come with ("бот", "агай"): with them alone, a greeting stays one.
        self.companions: frozenset[str] = frozenset()
        self._analyzer = None

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> Optional[str]:
        """The source of the rules it learns with, beside the class's own.

        Rasa's training cache keys a component by its class's source: without this, a change
        in `core/courtesy.py` or `core/language.py` would restore the old model from cache.
        """
        return hashlib.sha256(
            "".join(map(inspect.getsource, (courtesy, language))).encode("utf-8")
        ).hexdigest()

    @classmethod
    def create(
        cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource, **_: Any
    ) -> TextClassifier:
        """Rasa's constructor before training (it passes `execution_context` too, unused)."""
        return cls(config, model_storage, resource)

    # ---- training -------------------------------------------------------------------
    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT) and m.get(INTENT)]
        texts = [m.get(TEXT) for m in examples]
        labels = [m.get(INTENT_RESPONSE_KEY) or m.get(INTENT) for m in examples]
        if len(set(labels)) < 2:
            logger.warning("Fewer than two intents in the training data: nothing to learn.")
            self.persist()
            return self._resource
        # Requests are also learnt opened with a greeting: many first messages are.
        # The greeting words, from the examples as written (before the greeted copies below).
        self.courtesy = courtesy_vocabulary(zip(texts, labels, strict=True))
        self.companions = greeting_companions(zip(texts, labels, strict=True))
        greeted = greeted_copies(list(zip(texts, labels, strict=True)))
        texts, labels = texts + [t for t, _ in greeted], labels + [label for _, label in greeted]
        self.vectorizer = _vectorizer(self.config["min_ngram"], self.config["max_ngram"])
        features = self.vectorizer.fit_transform(texts)
        self._analyzer = self.vectorizer.build_analyzer()
        if self.config["span_ngram"]:
            self.span_vectorizer = _span_vectorizer(*self.config["span_ngram"])
            features = hstack([features, self.span_vectorizer.fit_transform(texts)]).tocsr()
        svm = LinearSVC(C=self.config["C"], random_state=42).fit(features, labels)
        self.coef, self.intercept = svm.coef_, svm.intercept_
        self.labels = [str(label) for label in svm.classes_]
        self.persist()
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    # ---- prediction -----------------------------------------------------------------
    def _probabilities(self, text: str) -> np.ndarray:
        row = self.vectorizer.transform([text])
        if self.span_vectorizer is not None:
            row = hstack([row, self.span_vectorizer.transform([text])]).tocsr()
        scores = np.asarray(row @ self.coef.T).ravel() + self.intercept
        confidences = _confidence(scores, self.config["midpoint"], self.config["slope"])
        coverage = self._coverage(text)
        if coverage < self.config["min_coverage"]:
            confidences = confidences * (coverage / self.config["min_coverage"])
        return confidences

    def _coverage(self, text: str) -> float:
        """The share of the message's letter n-grams (4 characters and more) seen in training.

        Shorter ones are too common to tell: a keyboard mash ("фывапролдж") shares a third
        of its trigrams with real words once the data is large, while real messages written
        apart from the data, names and e-mail addresses included, keep more than half of
        their longer n-grams. Digits never count, so phone numbers and dates are not
        gibberish; a message with neither letters nor digits ("???", "👍") tells nothing and
        is asked again.
        """
        ngrams = [
            ngram
            for ngram in self._analyzer(text)
            if len(ngram) >= COVERAGE_MIN_NGRAM
            and any(c.isalpha() for c in ngram)
            and not any(c.isdigit() for c in ngram)
        ]
        if not ngrams:
            return 1.0 if any(c.isdigit() for c in text) else 0.0
        vocabulary = self.vectorizer.vocabulary_
        return sum(ngram in vocabulary for ngram in ngrams) / len(ngrams)

    def _top_intent(self, probabilities: np.ndarray) -> tuple[str, float]:
        best = int(np.argmax(probabilities))
        return self.labels[best].split(DELIMITER)[0], float(probabilities[best])

    def _is_request(self, probabilities: np.ndarray) -> bool:
        """A request of its own: not courtesy, not a form answer ("я из Оша" after a hello)."""
        intent, confidence = self._top_intent(probabilities)
        return intent not in NOT_REQUESTS and confidence >= self.config["request_threshold"]

    def _understand(self, text: str) -> tuple[np.ndarray, bool]:
        """The request's probabilities, looked for apart from a greeting or thanks around it.

        First without the greeting words that open or close the message ("Здравствуйте,
        ..."), then without whole clauses that are greetings ("Добрый день, как ваши дела?
        ..."), or thanks before a question ("Спасибо! А как узнать статус?"). The whole
        message stands when no request is found. The flag says whether the request was found
        inside a greeting.
        """
        probabilities = self._probabilities(text)
        rest = request_part(text, self.courtesy)
        opening = self._top_intent(probabilities)[0]
        if opening not in COURTESY_INTENTS:
            return probabilities, rest is not None
        greeted = opening == GREETING_INTENT
        if greeted and rest and only_greeting_words(rest, self.courtesy | self.companions):
            return probabilities, False  # "Здравствуйте, бот": whom the greeting is for
        if rest:
            candidate = self._probabilities(rest)
            if self._is_request(candidate):
                return candidate, greeted
        pieces = clauses(text)
        intents = [self._top_intent(self._probabilities(piece))[0] for piece in pieces]
        kept = [
            piece for piece, intent in zip(pieces, intents, strict=True) if intent not in COURTESY_INTENTS
        ]
        thanked = any(intent in COURTESY_INTENTS - {GREETING_INTENT} for intent in intents)
        if kept and len(kept) < len(pieces) and (not thanked or any(map(is_question, kept))):
            candidate = self._probabilities(" ".join(kept))
            if self._is_request(candidate):
                return candidate, greeted
        return probabilities, False

    def process(self, messages: list[Message]) -> list[Message]:
        if self.vectorizer is None:
            return messages
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            probabilities, greeted = self._understand(text)
            if greeted:  # a request inside a greeting: the answer greets back (akyikatchy/nlg.py)
                message.set(GREETED, True, add_to_output=True)
            if CRISIS_LABEL in self.labels and mentions_self_harm(text):
                probabilities[self.labels.index(CRISIS_LABEL)] = 1.0
            order = np.argsort(-probabilities)
            # Base intents: a retrieval intent is as confident as its best topic.
            base: dict[str, float] = {}
            for label, p in zip(self.labels, probabilities, strict=True):
                name = label.split(DELIMITER)[0]
                base[name] = max(base.get(name, 0.0), float(p))
            ranking = sorted(base.items(), key=lambda item: -item[1])
            intent = {INTENT_NAME_KEY: ranking[0][0], PREDICTED_CONFIDENCE_KEY: ranking[0][1]}
            message.set(INTENT, intent, add_to_output=True)
            message.set(
                INTENT_RANKING_KEY,
                [
                    {INTENT_NAME_KEY: n, PREDICTED_CONFIDENCE_KEY: c}
                    for n, c in ranking[: self.config["ranking_length"]]
                ],
                add_to_output=True,
            )
            self._select_responses(message, probabilities, order)
        return messages

    def _select_responses(self, message: Message, probabilities: np.ndarray, order) -> None:
        """The best topic of each retrieval intent, in the ResponseSelector's format."""
        properties: dict[str, Any] = {}
        retrieval_intents = sorted({label.split(DELIMITER)[0] for label in self.labels if DELIMITER in label})
        for retrieval_intent in retrieval_intents:
            topics = [
                (self.labels[i], float(probabilities[i]))
                for i in order
                if self.labels[i].startswith(retrieval_intent + DELIMITER)
            ]
            key, confidence = topics[0]
            utter_action = f"utter_{key}"
            properties[retrieval_intent] = {
                RESPONSE_SELECTOR_PREDICTION_KEY: {
                    RESPONSE_SELECTOR_RESPONSES_KEY: [],
                    PREDICTED_CONFIDENCE_KEY: confidence,
                    INTENT_RESPONSE_KEY: key,
                    RESPONSE_SELECTOR_UTTER_ACTION_KEY: utter_action,
                },
                RESPONSE_SELECTOR_RANKING_KEY: [
                    {
                        "id": zlib.crc32(k.encode("utf-8")),
                        PREDICTED_CONFIDENCE_KEY: p,
                        INTENT_RESPONSE_KEY: k,
                    }
                    for k, p in topics[:5]
                ],
            }
        if properties:
            properties[RESPONSE_SELECTOR_RETRIEVAL_INTENTS] = retrieval_intents
            message.set(RESPONSE_SELECTOR_PROPERTY_NAME, properties, add_to_output=True)

    # ---- persistence ----------------------------------------------------------------
    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            if self.vectorizer is None:
                return
            vocabulary = {term: int(index) for term, index in self.vectorizer.vocabulary_.items()}
            (directory / "model.json").write_text(
                json.dumps(
                    {
                        "labels": self.labels,
                        "vocabulary": vocabulary,
                        "courtesy": sorted(self.courtesy),
                        "companions": sorted(self.companions),
                        "span_vocabulary": (
                            {term: int(i) for term, i in self.span_vectorizer.vocabulary_.items()}
                            if self.span_vectorizer is not None
                            else None
                        ),
                    },
                    ensure_ascii=False,
                ),
                encoding="utf-8",
            )
            span_idf = self.span_vectorizer.idf_ if self.span_vectorizer is not None else np.zeros(0)
            np.savez(
                directory / "weights.npz",
                idf=self.vectorizer.idf_,
                span_idf=span_idf,
                coef=self.coef,
                intercept=self.intercept,
            )

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TextClassifier:
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                stored = json.loads((directory / "model.json").read_text(encoding="utf-8"))
                weights = np.load(directory / "weights.npz", allow_pickle=False)
                vectorizer = _vectorizer(component.config["min_ngram"], component.config["max_ngram"])
                vectorizer.vocabulary_ = stored["vocabulary"]
                vectorizer.idf_ = weights["idf"]
                component.vectorizer = vectorizer
                component._analyzer = vectorizer.build_analyzer()
                if stored.get("span_vocabulary") and component.config["span_ngram"]:
                    span = _span_vectorizer(*component.config["span_ngram"])
                    span.vocabulary_ = stored["span_vocabulary"]
                    span.idf_ = weights["span_idf"]
                    component.span_vectorizer = span
                component.coef = weights["coef"]
                component.intercept = weights["intercept"]
                component.labels = stored["labels"]
                component.courtesy = frozenset(stored.get("courtesy", ()))
                component.companions = frozenset(stored.get("companions", ()))
        except (ValueError, FileNotFoundError):
            logger.warning("No trained intent classifier found in the model.")
        return component
