"""Checks that keep the content honest: both languages everywhere, nothing undefined."""
from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from akyikatchy.language import read_nlu_examples
from tests.contract import CATEGORIES, FAQ_TOPICS, FORM_SLOTS, INTENTS, REGIONS, STATUSES

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("ky", "ru")
MIN_INTENT_EXAMPLES = 15
MIN_FAQ_EXAMPLES = 20


def load_yaml(path: Path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def examples_per_intent(language: str) -> Counter:
    data = load_yaml(ROOT / "data" / f"nlu_{language}.yml")
    counts: Counter = Counter()
    for block in data["nlu"]:
        if "intent" in block:
            counts[block["intent"]] += sum(
                1 for line in block["examples"].splitlines() if line.strip().startswith("- ")
            )
    return counts


DOMAIN = load_yaml(ROOT / "domain.yml")
RESPONSES = DOMAIN["responses"]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("intent", INTENTS)
def test_every_contract_intent_has_examples_in_both_languages(language, intent):
    assert examples_per_intent(language)[intent] >= MIN_INTENT_EXAMPLES


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("topic", FAQ_TOPICS)
def test_every_faq_topic_has_examples_in_both_languages(language, topic):
    assert examples_per_intent(language)[f"faq/{topic}"] >= MIN_FAQ_EXAMPLES


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_domain_intent_has_examples(language):
    counts = examples_per_intent(language)
    for intent in DOMAIN["intents"]:
        if intent == "faq":
            assert any(name.startswith("faq/") for name in counts)
        else:
            assert counts[intent] >= MIN_INTENT_EXAMPLES, intent


def test_examples_are_unique_within_each_file():
    for language in LANGUAGES:
        texts = [t.lower() for t in read_nlu_examples(ROOT / "data" / f"nlu_{language}.yml")]
        duplicates = [t for t, n in Counter(texts).items() if n > 1]
        assert not duplicates, f"{language}: {duplicates[:5]}"


def test_kyrgyz_examples_include_typing_without_special_letters_and_latin():
    texts = read_nlu_examples(ROOT / "data" / "nlu_ky.yml")
    cyrillic = [t for t in texts if re.search("[а-яА-ЯүөңҮӨҢ]", t)]
    without = [t for t in cyrillic if not re.search("[үөңҮӨҢ]", t)]
    latin = [t for t in texts if re.fullmatch(r"[\sA-Za-z'’?,.!-]+", t)]
    assert len(without) / len(cyrillic) >= 0.25
    assert len(latin) >= 20


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_every_response_exists_in_kyrgyz_and_russian(name):
    languages = []
    for variant in RESPONSES[name]:
        conditions = variant.get("condition") or []
        assert len(conditions) == 1, f"{name}: each variant names its language"
        assert conditions[0]["type"] == "slot" and conditions[0]["name"] == "language"
        languages.append(conditions[0]["value"])
        assert (variant.get("text") or "").strip(), f"{name}: empty text"
    assert sorted(languages) == ["ky", "ru"], name


def test_responses_name_only_defined_slots():
    slots = set(DOMAIN["slots"])
    for name, variants in RESPONSES.items():
        for variant in variants:
            for placeholder in re.findall(r"\{(\w+)\}", variant.get("text", "")):
                assert placeholder in slots, f"{name} uses undefined slot {{{placeholder}}}"


def test_buttons_have_the_same_payloads_in_both_languages():
    for name, variants in RESPONSES.items():
        payloads = [[b["payload"] for b in v.get("buttons") or []] for v in variants]
        assert all(p == payloads[0] for p in payloads), name


@pytest.mark.parametrize("topic", FAQ_TOPICS)
def test_every_faq_topic_has_an_answer(topic):
    assert f"utter_faq/{topic}" in RESPONSES


def test_danger_answers_put_the_emergency_number_first():
    for topic in ("emergency", "domestic_violence"):
        for variant in RESPONSES[f"utter_faq/{topic}"]:
            first_number = re.search(r"\b1\d\d\b", variant["text"])
            assert first_number and first_number.group() == "112", topic


def test_faq_answers_fit_a_phone_screen():
    for topic in FAQ_TOPICS:
        for variant in RESPONSES[f"utter_faq/{topic}"]:
            assert len(variant["text"]) <= 800, topic


def test_answers_use_only_phone_lines_from_the_facts():
    known = {"115", "114", "112", "111", "117", "113", "119", "996"}
    for name, variants in RESPONSES.items():
        for variant in variants:
            for number in re.findall(r"(?<![\d.+-])1\d\d(?![\d.])", variant["text"]):
                assert number in known, f"{name}: {number}"


def test_the_form_asks_every_slot_and_labels_every_code():
    for slot in FORM_SLOTS + ["which_field"]:
        assert f"utter_ask_{slot}" in RESPONSES, slot
    required = DOMAIN["forms"]["appeal_form"]["required_slots"]
    assert [slot for slot in required if slot != "which_field"] == FORM_SLOTS
    for code in REGIONS:
        assert f"utter_region_{code}" in RESPONSES
    for code in CATEGORIES:
        assert f"utter_category_{code}" in RESPONSES
    for status in STATUSES:
        assert f"utter_status_{status}" in RESPONSES
    for slot in FORM_SLOTS[1:-1]:
        assert f"utter_example_{slot}" in RESPONSES


def test_rasa_data_validate_has_no_warnings():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "rasa"), "data", "validate", "--fail-on-warnings"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
