"""Checks that keep the content honest: both languages everywhere, nothing undefined."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from core.language import read_nlu_examples
from tests.contract import CATEGORIES, FAQ_TOPICS, FORM_SLOTS, INTENTS, REGIONS, STATUSES

ROOT = Path(__file__).resolve().parent.parent
DOMAIN_DIR = ROOT / "domain"
LANGUAGES = ("ky", "ru")
MIN_INTENT_EXAMPLES = 15
MIN_FAQ_EXAMPLES = 20
# Real files and stickers arrive as these fixed payloads: no typed text is trained on them.
PAYLOAD_ONLY_INTENTS = {"attachment": "/attachment", "unsupported_message": "/unsupported_message"}


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


def load_domain() -> dict:
    """All files of domain/ merged as Rasa merges them; a name defined twice is an error here."""
    merged: dict = {"intents": [], "entities": [], "actions": [], "slots": {}, "forms": {}, "responses": {}}
    for path in sorted(DOMAIN_DIR.rglob("*.yml")):
        part = load_yaml(path) or {}
        for key, value in part.items():
            if isinstance(merged.get(key), list):
                merged[key] += [item for item in value if item not in merged[key]]
            elif isinstance(merged.get(key), dict):
                twice = set(merged[key]) & set(value)
                assert not twice, f"{path.name} defines {key} again: {sorted(twice)}"
                merged[key].update(value)
    return merged


DOMAIN = load_domain()
RESPONSES = DOMAIN["responses"]
# CONTRACT.md: the address is asked right after the region.
APPEAL_SLOTS = list(FORM_SLOTS)
if "address" not in APPEAL_SLOTS:
    APPEAL_SLOTS.insert(APPEAL_SLOTS.index("region") + 1, "address")


def test_the_domain_is_a_directory_of_files_by_area():
    assert not (ROOT / "domain.yml").exists(), "the domain lives in domain/ only"
    names = {path.stem for path in DOMAIN_DIR.rglob("*.yml")}
    assert {"core", "dialogue", "appeal_form", "status_and_erasure", "labels"} <= names
    assert any(name.startswith("faq") for name in names)


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
        elif intent in PAYLOAD_ONLY_INTENTS:
            assert counts[intent] == 1, f"{intent}: only its payload {PAYLOAD_ONLY_INTENTS[intent]}"
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
    for topic in ("emergency", "domestic_violence", "child_rights", "health_care"):
        for variant in RESPONSES[f"utter_faq/{topic}"]:
            first_number = re.search(r"\b1\d\d\b", variant["text"])
            assert first_number and first_number.group() == "112", topic


def test_wording_fixed_in_issue_9_stays_fixed():
    """Terms FACTS.md and the Kyrgyz style guide settled; the law named by its exact title."""
    texts = {
        name: {v["condition"][0]["value"]: v["text"] for v in variants}
        for name, variants in RESPONSES.items()
    }
    everything = "\n".join(text for variants in texts.values() for text in variants.values()).lower()
    for wrong in ("үй-бүлөдөгү зомбулук", "тастыктаган документ", "бесплатный юрист", "акысыз юрист"):
        assert wrong not in everything, wrong
    requirements = texts["utter_faq/appeal_requirements"]
    assert "«Жарандардын кайрылууларын кароо тартиби жөнүндө»" in requirements["ky"]
    assert "«О порядке рассмотрения обращений граждан»" in requirements["ru"]


def test_the_summary_shows_and_corrects_the_address():
    for variant in RESPONSES["utter_ask_confirm"]:
        assert "{address}" in variant["text"]
    for variant in RESPONSES["utter_ask_which_field"]:
        assert "address" in [button["payload"] for button in variant["buttons"]]


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
    for slot in APPEAL_SLOTS + ["which_field"]:
        assert f"utter_ask_{slot}" in RESPONSES, slot
    required = DOMAIN["forms"]["appeal_form"]["required_slots"]
    assert [slot for slot in required if slot != "which_field"] == APPEAL_SLOTS
    for code in REGIONS:
        assert f"utter_region_{code}" in RESPONSES
    for code in CATEGORIES:
        assert f"utter_category_{code}" in RESPONSES
    for status in STATUSES:
        assert f"utter_status_{status}" in RESPONSES
    for slot in APPEAL_SLOTS[1:-1]:
        assert f"utter_example_{slot}" in RESPONSES


def test_rasa_data_validate_has_no_warnings():
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "rasa"),
            "data",
            "validate",
            "--fail-on-warnings",
            "--domain",
            "domain",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
