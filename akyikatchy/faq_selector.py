"""A fast response selector for the `faq` retrieval intent.

Rasa's ResponseSelector trains a TensorFlow model: minutes to train, milliseconds per
message. A logistic regression over the same sparse features (word and character
n-grams) picks the FAQ topic as accurately on this data, trains in about a second and
answers in well under a millisecond. It writes the same `response_selector` output, so
Rasa's `utter_faq` action, `rasa test` and the REST API work unchanged.
"""
from __future__ import annotations

import json
import zlib
import logging
from typing import Any, Dict, List, Optional, Text, Tuple

import numpy as np
from scipy.sparse import csr_matrix, hstack, vstack
from sklearn.linear_model import LogisticRegression

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
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class FaqSelector(GraphComponent):
    @classmethod
    def required_components(cls) -> List[type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"retrieval_intent": "faq", "C": 10.0, "max_iter": 500, "ranking_length": 5}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        classifier: Optional[LogisticRegression] = None,
        responses: Optional[Dict[Text, List[Dict[Text, Any]]]] = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.classifier = classifier
        self.responses = responses or {}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "FaqSelector":
        return cls(config, model_storage, resource)

    @staticmethod
    def _features(messages: List[Message]) -> csr_matrix:
        rows = []
        for message in messages:
            sparse = message.get_sparse_features(TEXT)[1]
            dense = message.get_dense_features(TEXT)[1]
            rows.append(
                hstack(
                    [
                        csr_matrix(sparse.features if sparse else []),
                        csr_matrix(dense.features if dense else []),
                    ]
                )
            )
        return vstack(rows).tocsr()

    def train(self, training_data: TrainingData) -> Resource:
        intent = self.config["retrieval_intent"]
        examples = [
            m for m in training_data.intent_examples
            if m.get(INTENT) == intent and m.get(INTENT_RESPONSE_KEY) and m.get(TEXT)
        ]
        self.responses = {
            key: value for key, value in training_data.responses.items()
            if key.startswith(f"utter_{intent}/")
        }
        if len({m.get(INTENT_RESPONSE_KEY) for m in examples}) >= 2:
            self.classifier = LogisticRegression(
                C=self.config["C"], max_iter=self.config["max_iter"],
                class_weight="balanced", random_state=42,
            )
            self.classifier.fit(self._features(examples), [m.get(INTENT_RESPONSE_KEY) for m in examples])
        self.persist()
        return self._resource

    def _rank(self, row: csr_matrix) -> List[Tuple[Text, float]]:
        probabilities = self.classifier.predict_proba(row)[0]
        order = np.argsort(-probabilities)[: self.config["ranking_length"]]
        return [(str(self.classifier.classes_[i]), float(probabilities[i])) for i in order]

    def process(self, messages: List[Message]) -> List[Message]:
        if self.classifier is None:
            return messages
        intent = self.config["retrieval_intent"]
        for message in messages:
            if not message.get(TEXT) or message.get_sparse_features(TEXT)[1] is None:
                continue
            ranking = self._rank(self._features([message]))
            key, confidence = ranking[0]
            utter_action = f"utter_{key}"
            prediction = {
                RESPONSE_SELECTOR_PREDICTION_KEY: {
                    RESPONSE_SELECTOR_RESPONSES_KEY: self.responses.get(utter_action, []),
                    PREDICTED_CONFIDENCE_KEY: confidence,
                    INTENT_RESPONSE_KEY: key,
                    RESPONSE_SELECTOR_UTTER_ACTION_KEY: utter_action,
                },
                RESPONSE_SELECTOR_RANKING_KEY: [
                    {"id": zlib.crc32(k.encode()), PREDICTED_CONFIDENCE_KEY: c, INTENT_RESPONSE_KEY: k}
                    for k, c in ranking
                ],
            }
            properties = message.get(RESPONSE_SELECTOR_PROPERTY_NAME, {})
            properties[RESPONSE_SELECTOR_RETRIEVAL_INTENTS] = [intent]
            properties[intent] = prediction
            message.set(RESPONSE_SELECTOR_PROPERTY_NAME, properties, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            (directory / "responses.json").write_text(json.dumps(self.responses), encoding="utf-8")
            if self.classifier is not None:
                np.savez(
                    directory / "classifier.npz",
                    coef=self.classifier.coef_,
                    intercept=self.classifier.intercept_,
                    classes=np.array(self.classifier.classes_, dtype=str),
                )

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "FaqSelector":
        try:
            with model_storage.read_from(resource) as directory:
                responses = json.loads((directory / "responses.json").read_text(encoding="utf-8"))
                classifier = None
                if (directory / "classifier.npz").exists():
                    stored = np.load(directory / "classifier.npz", allow_pickle=False)
                    classifier = LogisticRegression()
                    classifier.coef_ = stored["coef"]
                    classifier.intercept_ = stored["intercept"]
                    classifier.classes_ = stored["classes"]
        except (ValueError, FileNotFoundError):
            logger.debug("No trained FAQ selector found; it will select nothing.")
            return cls.create(config, model_storage, resource, execution_context)
        return cls(config, model_storage, resource, classifier, responses)
