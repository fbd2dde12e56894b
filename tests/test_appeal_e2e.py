"""End to end over real HTTP: REST channel → Rasa → action server → SQLite, both languages."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid

import pytest

from tests.conftest import ROOT
from tests.rest import payloads, say, texts, tracker

REFERENCE = re.compile(r"AK-\d{4}-\d{6}")
KYRGYZ_LETTERS = re.compile("[үөңҮӨҢ]")


def staff_list(database_url: str) -> list:
    result = subprocess.run(
        [sys.executable, "-m", "appeals", "list", "--json"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


def new_sender() -> str:
    return "test-" + uuid.uuid4().hex[:12]


APPEALS = {
    "ky": {
        "start": "кайрылуу бергим келет",
        "name": "Асанов Бакыт Маратович",
        "phone": "0700 12 34 56",
        "region": "Ош шаары",
        "category": '/inform{"category":"labour"}',
        "respondent": "мектептин директору",
        "date": "кечээ",
        "description": "Мектептин директору үч айдан бери айлык акыны төлөбөй жатат.",
        "yes": "ооба",
    },
    "ru": {
        "start": "хочу подать жалобу",
        "name": "Иванова Мария Петровна",
        "phone": "+996 555 123 456",
        "region": '/inform{"region":"bishkek"}',
        "category": "здравоохранение",
        "respondent": "главврач городской больницы",
        "date": "01.11.2026",
        "description": "В больнице отказали в бесплатной операции по полису и потребовали деньги.",
        "yes": "/affirm",
    },
}


def fill_to_summary(rasa_url: str, sender: str, language: str) -> list:
    """Start an appeal, give consent and every field; returns the summary replies."""
    a = APPEALS[language]
    say(rasa_url, sender, a["start"])
    say(rasa_url, sender, a["yes"])
    for step in ("name", "phone", "region", "category", "respondent", "date"):
        say(rasa_url, sender, a[step])
    return say(rasa_url, sender, a["description"])


@pytest.mark.parametrize("language", ["ky", "ru"])
def test_a_straight_appeal_is_stored_and_listed_for_staff(rasa_url, database_url, language):
    a = APPEALS[language]
    sender = new_sender()
    consent = say(rasa_url, new_sender(), a["start"])
    assert payloads(consent) == ["/affirm", "/deny"]
    assert bool(KYRGYZ_LETTERS.search(texts(consent))) == (language == "ky")
    summary = fill_to_summary(rasa_url, sender, language)
    assert a["name"] in texts(summary)
    assert "/affirm" in payloads(summary)
    assert not REFERENCE.search(texts(summary))
    done = say(rasa_url, sender, a["yes"])
    reference = REFERENCE.search(texts(done)).group()
    assert bool(KYRGYZ_LETTERS.search(texts(done))) == (language == "ky")

    stored = {r["reference"]: r for r in staff_list(database_url)}[reference]
    assert stored["full_name"] == a["name"]
    assert stored["phone"].startswith("+996") and len(stored["phone"]) == 13
    assert stored["language"] == language
    assert stored["status"] == "received"
    assert stored["description"] == a["description"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", stored["incident_date"])
    assert stored["region"] == ("osh_city" if language == "ky" else "bishkek")
    assert stored["category"] == ("labour" if language == "ky" else "health")
    assert stored["late"] is False

    # a second "yes" (a double tap) stores nothing more
    say(rasa_url, sender, a["yes"])
    assert [r["reference"] for r in staff_list(database_url)].count(reference) == 1

    # the owner can follow it; anyone else gets "not found", as for a missing reference
    owner = texts(say(rasa_url, sender, f"{reference}"))
    assert reference in owner
    stranger = texts(say(rasa_url, new_sender(), f"{reference}"))
    missing = texts(say(rasa_url, new_sender(), "AK-2026-999999"))
    assert stranger.replace(reference, "X") == missing.replace("AK-2026-999999", "X")
    assert stranger != owner


def test_a_wrong_phone_is_asked_again_then_accepted(rasa_url):
    sender = new_sender()
    for text in ("хочу подать обращение", "да", "Петрова Анна Сергеевна"):
        say(rasa_url, sender, text)
    wrong = say(rasa_url, sender, "12345")
    assert '/inform{"region":"bishkek"}' not in payloads(wrong)
    assert "0555" in texts(wrong)  # the expected form, with an example
    right = say(rasa_url, sender, "0770 123 456")
    assert '/inform{"region":"bishkek"}' in payloads(right)
    slots = tracker(rasa_url, sender)["slots"]
    assert slots["phone"] == "+996770123456"
    assert slots["language"] == "ru"


def test_a_question_in_the_middle_is_answered_and_the_form_goes_on(rasa_url):
    sender = new_sender()
    for text in ("кайрылуу бергим келет", "ооба"):
        say(rasa_url, sender, text)
    replies = say(rasa_url, sender, "кайрылуу берүү акысызбы?")
    assert len(replies) >= 2
    assert "115" in texts(replies[:-1]) or "акысыз" in texts(replies[:-1]).lower()
    slots = tracker(rasa_url, sender)["slots"]
    assert slots["requested_slot"] == "full_name" and slots["full_name"] is None
    say(rasa_url, sender, "Токтосунова Айгүл")
    assert tracker(rasa_url, sender)["slots"]["full_name"] == "Токтосунова Айгүл"


def test_a_correction_at_confirmation_changes_only_that_field(rasa_url, database_url):
    sender = new_sender()
    a = APPEALS["ru"]
    fill_to_summary(rasa_url, sender, "ru")
    asked = say(rasa_url, sender, "номер телефона неправильный")
    assert tracker(rasa_url, sender)["slots"]["requested_slot"] == "phone"
    summary = say(rasa_url, sender, "0700 99 88 77")
    assert "+996700998877" in texts(summary)
    assert a["name"] in texts(summary)
    done = say(rasa_url, sender, "да")
    reference = REFERENCE.search(texts(done)).group()
    stored = {r["reference"]: r for r in staff_list(database_url)}[reference]
    assert stored["phone"] == "+996700998877" and stored["full_name"] == a["name"]
    assert asked  # the form asked for the phone again


def test_cancel_asks_then_keeps_nothing(rasa_url, database_url):
    sender = new_sender()
    before = len(staff_list(database_url))
    for text in ("хочу подать жалобу", "да", "Сидоров Иван"):
        say(rasa_url, sender, text)
    question = say(rasa_url, sender, "отмена")
    assert payloads(question) == ["/affirm", "/deny"]
    say(rasa_url, sender, "да")
    slots = tracker(rasa_url, sender)["slots"]
    assert slots["full_name"] is None and slots["consent"] is None
    assert tracker(rasa_url, sender)["active_loop"] in ({}, None) or not tracker(rasa_url, sender)[
        "active_loop"
    ].get("name")
    assert len(staff_list(database_url)) == before


def test_erasure_clears_personal_fields_and_keeps_the_reference(rasa_url, database_url):
    sender = new_sender()
    fill_to_summary(rasa_url, sender, "ky")
    reference = REFERENCE.search(texts(say(rasa_url, sender, "ооба"))).group()
    ask = say(rasa_url, sender, "маалыматтарымды өчүрүп салыңыз")
    assert payloads(ask) == ["/affirm", "/deny"]
    erased = say(rasa_url, sender, "ооба")
    assert KYRGYZ_LETTERS.search(texts(erased))
    stored = {r["reference"]: r for r in staff_list(database_url)}[reference]
    assert stored["full_name"] is None and stored["phone"] is None
    assert stored["description"] is None and stored["respondent"] is None
    assert stored["region"] == "osh_city" and stored["category"] == "labour"


def test_telegram_language_code_is_the_first_guess(rasa_url):
    sender = new_sender()
    replies = say(rasa_url, sender, "/greet", metadata={"language_code": "ru"})
    assert not KYRGYZ_LETTERS.search(texts(replies))
    assert tracker(rasa_url, sender)["slots"]["language"] == "ru"
    # a short "ok" or a number never flips it
    say(rasa_url, sender, "115", metadata={"language_code": "ru"})
    assert tracker(rasa_url, sender)["slots"]["language"] == "ru"
    # a clearly Kyrgyz message does
    replies = say(rasa_url, sender, "саламатсызбы", metadata={"language_code": "ru"})
    assert KYRGYZ_LETTERS.search(texts(replies))
    assert tracker(rasa_url, sender)["slots"]["language"] == "ky"
