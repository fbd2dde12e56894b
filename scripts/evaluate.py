"""`make eval`: understanding quality on a fixed held-out split, per language.

Drops examples that are duplicates once folded (ү ө ң, case, punctuation), then splits
each language file 80/20 per intent (FAQ topics counted as their own labels), trains the
NLU pipeline of a config on the training part of both languages together (one model
understands both), and prints per language: intent accuracy, macro-F1, the reply
language's accuracy, the same on a copy of the held-out set opened with a greeting, and a
plain TF-IDF + logistic regression baseline trained on the same split.

    python -m scripts.evaluate [--config config.yml] [--json results/eval.json]
    python -m scripts.evaluate --unseen-ky new_ky.yml --unseen-ru new_ru.yml

`--unseen-*`: examples written apart from data/ (a new batch, before it is merged) are also
classified by the split's model: the honest figure for phrasing the data has never seen.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SEED = 2026
TEST_FRACTION = 0.2

Example = tuple[str, str]  # (text with annotations, label)


def label_of(message) -> str:
    return message.get("intent_response_key") or message.get("intent")


def split_file(path: Path, rng: random.Random, seen: set[str]):
    """Stratified split of one NLU file; returns (train TrainingData, test examples)."""
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    data = load_data(str(path))
    by_label: dict[str, list] = defaultdict(list)
    for message in data.intent_examples:
        key = folded_key(message.get("text"))
        if key in seen:  # a duplicate after folding would be tested on what it trained on
            continue
        seen.add(key)
        by_label[label_of(message)].append(message)
    train, test = [], []
    for label in sorted(by_label):
        messages = sorted(by_label[label], key=lambda m: m.get("text"))
        rng.shuffle(messages)
        n_test = max(1, round(len(messages) * TEST_FRACTION))
        test += [(m.get("text"), label) for m in messages[:n_test]]
        train += messages[n_test:]
    return TrainingData(
        training_examples=train,
        entity_synonyms=data.entity_synonyms,
        regex_features=data.regex_features,
        lookup_tables=data.lookup_tables,
        responses=data.responses,
    ), test


def folded_key(text: str) -> str:
    from core.language import words

    return " ".join(words(text))


# Greetings a held-out message is opened with, written apart from the training data.
GREETINGS = {
    "ky": (
        "Саламатсызбы, ",
        "Салам! ",
        "Кутман күн, ",
        "Саламатсызбы агай, ",
        "salamatsyzby ",
        "Ассалому алейкум. ",
    ),
    "ru": (
        "Здравствуйте, ",
        "Добрый день! ",
        "Привет, ",
        "Доброе утро. ",
        "zdravstvuite ",
        "Здравствуйте уважаемые, ",
    ),
}


def greeting_prefixed(lang: str, test: list[Example]) -> list[Example]:
    """The held-out requests opened with a greeting, the way many first messages are.

    Not courtesy, and not form answers: "Здравствуйте, я из Оша" is a hello with an
    introduction (`core.courtesy.greeted_copies`), not a request.
    """
    from core.courtesy import NOT_REQUESTS

    greetings = GREETINGS[lang]
    return [
        (greetings[i % len(greetings)] + text[:1].lower() + text[1:], label)
        for i, (text, label) in enumerate(
            t for t in test if t[1] not in NOT_REQUESTS and not t[0].startswith("/")
        )
    ]


def accuracy(golds: list[str], predicted: list[str]) -> float:
    return round(sum(g == p for g, p in zip(golds, predicted, strict=True)) / len(golds), 4)


def baseline_model(train_examples: list[Example]):
    """A plain TF-IDF + logistic regression on the same training split, for comparison."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=2000))
    return model.fit([t for t, _ in train_examples], [label for _, label in train_examples])


def macro_f1(pairs: list[tuple[str, str]]) -> float:
    labels = sorted({gold for gold, _ in pairs})
    scores = []
    for label in labels:
        tp = sum(1 for g, p in pairs if g == label and p == label)
        fp = sum(1 for g, p in pairs if g != label and p == label)
        fn = sum(1 for g, p in pairs if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def is_clear(text: str) -> bool:
    """Messages a person would call clearly Kyrgyz or Russian.

    Not "ok", numbers, names, button payloads, or one loanword both languages use
    ("пенсия", "паспорт"); a single greeting or function word ("рахмат", "спасибо") counts.
    """
    from core.language import KYRGYZ_MARKERS, RUSSIAN_MARKERS, looks_like_name, words

    tokens = words(text)
    if text.strip().startswith("/") or looks_like_name(text):
        return False
    if len(tokens) == 1:
        return tokens[0] in KYRGYZ_MARKERS | RUSSIAN_MARKERS
    return any(len(t) >= 3 for t in tokens)


async def predict(agent, texts: list[str]) -> tuple[list[str], int]:
    """The classifier's label for each text, and how many the fallback would re-ask."""
    out, fallbacks = [], 0
    for text in texts:
        parsed = await agent.parse_message(text)
        intent = parsed["intent"]["name"]
        if intent == "nlu_fallback":
            fallbacks += 1
            ranking = [r["name"] for r in parsed.get("intent_ranking", []) if r["name"] != "nlu_fallback"]
            intent = ranking[0] if ranking else intent
        selectors = parsed.get("response_selector", {})
        # A ResponseSelector without `retrieval_intent` answers under the key "default".
        selector = selectors.get(intent) or (
            selectors.get("default") if intent in selectors.get("all_retrieval_intents", []) else None
        )
        if selector:
            intent = selector["response"].get("intent_response_key") or intent
        out.append(intent)
    return out, fallbacks


def unseen_accuracy(agent, path: Path) -> dict:
    """The intent accuracy on an NLU file kept apart from data/."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples = [(m.get("text"), label_of(m)) for m in load_data(str(path)).intent_examples]
    predicted, _ = asyncio.run(predict(agent, [t for t, _ in examples]))
    return {"n": len(examples), "intent_accuracy": accuracy([g for _, g in examples], predicted)}


def evaluate(
    config: Path, model_dir: Path, reuse: bool, seed: int = SEED, unseen: dict[str, Path] | None = None
) -> dict:
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.loading import load_data

    from core.language import LanguageDetector

    seen: set[str] = set()  # folded texts already taken, across both files ("салам", "Бишкек")
    # One generator per language: an edit to one file never changes the other's split.
    parts = {
        lang: split_file(DATA / f"nlu_{lang}.yml", random.Random(f"{seed}-{lang}"), seen)
        for lang in ("ky", "ru")
    }
    greeted_sets = {lang: greeting_prefixed(lang, parts[lang][1]) for lang in parts}
    shared = load_data(str(DATA / "nlu_shared.yml"))
    train = parts["ky"][0].merge(parts["ru"][0], shared)
    model_name = f"eval-{config.stem}-{seed}"  # --reuse-model must reuse this split's model
    existing = model_dir / f"{model_name}.tar.gz"
    with tempfile.TemporaryDirectory() as tmp:
        if reuse and existing.exists():
            model, train_seconds = str(existing), None
        else:
            train_file = Path(tmp) / "train.yml"
            train_file.write_text(RasaYAMLWriter().dumps(train), encoding="utf-8")
            started = time.monotonic()
            model = train_nlu(
                str(config),
                str(train_file),
                str(model_dir),
                fixed_model_name=model_name,
                domain=str(ROOT / "domain"),
            )
            train_seconds = round(time.monotonic() - started, 1)
        results: dict = {"config": str(config), "train_seconds": train_seconds}
        baseline = baseline_model([(m.get("text"), label_of(m)) for m in train.intent_examples])
        agent = Agent.load(model)  # once: loading the model costs more than classifying a split
        for lang in ("ky", "ru"):
            test, greeted = parts[lang][1], greeted_sets[lang]
            predicted, fallbacks = asyncio.run(predict(agent, [t for t, _ in test]))
            predicted_greeted, _ = asyncio.run(predict(agent, [t for t, _ in greeted]))
            pairs = [(gold, pred) for (_, gold), pred in zip(test, predicted, strict=False)]
            results[lang] = {
                "n_test": len(test),
                "intent_accuracy": accuracy([g for _, g in test], predicted),
                "macro_f1": round(macro_f1(pairs), 4),
                "fallback_rate": round(fallbacks / len(pairs), 4),
                "greeted": {
                    "n": len(greeted),
                    "intent_accuracy": accuracy([g for _, g in greeted], predicted_greeted),
                },
                **({"unseen": unseen_accuracy(agent, unseen[lang])} if unseen and lang in unseen else {}),
                "baseline_tfidf_lr": {
                    name: accuracy([g for _, g in examples], list(baseline.predict([t for t, _ in examples])))
                    for name, examples in (("intent_accuracy", test), ("greeted", greeted))
                },
                "errors": [
                    {"text": t, "gold": g, "predicted": p}
                    for (t, g), p in zip(test, predicted, strict=False)
                    if g != p
                ]
                + [
                    {"text": t, "gold": g, "predicted": p}
                    for (t, g), p in zip(greeted, predicted_greeted, strict=True)
                    if g != p
                ],
            }
    detector = LanguageDetector().fit(
        [m.get("text") for m in parts["ky"][0].intent_examples],
        [m.get("text") for m in parts["ru"][0].intent_examples],
    )
    total = correct = 0
    for lang in ("ky", "ru"):
        clear = [t for t, _ in parts[lang][1] if is_clear(t)]
        hits = sum(detector.detect(t) == lang for t in clear)
        results[lang]["language_detection"] = {"n": len(clear), "accuracy": round(hits / len(clear), 4)}
        greeted = [t for t, _ in greeted_sets[lang]]
        results[lang]["greeted"]["language_detection"] = accuracy(
            [lang] * len(greeted), [detector.detect(t) for t in greeted]
        )
        total += len(clear)
        correct += hits
    results["language_detection_accuracy"] = round(correct / total, 4)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "config.yml"))
    parser.add_argument("--json", default=str(ROOT / "results" / "eval.json"))
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument(
        "--seed", type=int, default=SEED, help="another split: figures move by 1-3 points from split to split"
    )
    parser.add_argument(
        "--models", default=str(ROOT / "results" / "eval_models"), help="where the split's model is kept"
    )
    parser.add_argument(
        "--reuse-model", action="store_true", help="evaluate the model kept from the last run of this config"
    )
    for lang in ("ky", "ru"):
        parser.add_argument(
            f"--unseen-{lang}", type=Path, help=f"{lang} examples written apart from data/, also classified"
        )
    args = parser.parse_args()
    unseen = {lang: path for lang in ("ky", "ru") if (path := getattr(args, f"unseen_{lang}"))}
    logging.basicConfig(level=logging.WARNING)
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    results = evaluate(Path(args.config), Path(args.models), args.reuse_model, args.seed, unseen)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(
        f"\nNLU on a fixed held-out split ({int(TEST_FRACTION * 100)} % per intent, seed {args.seed}),"
        f" config {Path(args.config).name}, training {results['train_seconds']} s"
    )
    print(
        f"{'language':<10}{'n':>6}{'intent acc':>12}{'macro-F1':>10}{'fallback':>10}{'lang-detect':>13}"
        f"{'greeted acc':>13}{'greeted lang':>14}{'TF-IDF+LR':>11}{'(greeted)':>11}"
    )
    for lang in ("ky", "ru"):
        r = results[lang]
        print(
            f"{lang:<10}{r['n_test']:>6}{r['intent_accuracy']:>12.3f}{r['macro_f1']:>10.3f}{r['fallback_rate']:>10.3f}"
            f"{r['language_detection']['accuracy']:>13.3f}{r['greeted']['intent_accuracy']:>13.3f}"
            f"{r['greeted']['language_detection']:>14.3f}{r['baseline_tfidf_lr']['intent_accuracy']:>11.3f}"
            f"{r['baseline_tfidf_lr']['greeted']:>11.3f}"
        )
    print(f"language detection, both languages: {results['language_detection_accuracy']:.3f}")
    for lang in unseen:
        r = results[lang]["unseen"]
        print(f"unseen {lang} ({unseen[lang].name}, {r['n']}): intent accuracy {r['intent_accuracy']:.3f}")
    if args.show_errors:
        for lang in ("ky", "ru"):
            for e in results[lang]["errors"]:
                print(f"  [{lang}] {e['gold']:<28} -> {e['predicted']:<28} {e['text']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
