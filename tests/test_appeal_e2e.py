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
        "address": "Ош шаары, Ленин көчөсү 12, 5-батир",
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
        "address": "aibek@mail.kg",
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
    for step in ("name", "phone", "region", "address", "category", "respondent", "date"):
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
    assert a["address"] in texts(summary)
    assert re.search(r"\b\d{2}\.\d{2}\.\d{4}\b", texts(summary))  # the date as dd.mm.yyyy
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
    assert stored["address"] == a["address"]
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
    assert stored["address"] is None
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


def _answer(rasa_url: str, sender: str, texts_in_order) -> list:
    replies: list = []
    for text in texts_in_order:
        replies = say(rasa_url, sender, text)
    return replies


def test_the_address_is_asked_after_the_region_and_junk_is_refused(rasa_url):
    sender = new_sender()
    _answer(rasa_url, sender, ("хочу подать жалобу", "да", "Сидорова Анна", "0555 12 34 56"))
    asked = say(rasa_url, sender, '/inform{"region":"osh_city"}')
    assert tracker(rasa_url, sender)["slots"]["requested_slot"] == "address"
    assert "адрес" in texts(asked).lower()
    refused = say(rasa_url, sender, "нет")
    assert "без рассмотрения" in texts(refused)
    slots = tracker(rasa_url, sender)["slots"]
    assert slots["requested_slot"] == "address" and slots["address"] is None
    say(rasa_url, sender, "г. Ош, ул. Ленина 12")
    slots = tracker(rasa_url, sender)["slots"]
    assert slots["address"] == "г. Ош, ул. Ленина 12" and slots["requested_slot"] == "category"


def test_a_month_is_read_back_as_a_month_and_stored_as_its_first_day(rasa_url, database_url):
    sender = new_sender()
    a = APPEALS["ky"]
    _answer(rasa_url, sender, [a["start"], a["yes"]])
    for step in ("name", "phone", "region", "address", "category", "respondent"):
        say(rasa_url, sender, a[step])
    say(rasa_url, sender, "март айында")
    slots = tracker(rasa_url, sender)["slots"]
    assert slots["incident_date"].endswith("-03-01")
    assert slots["incident_date_precision"] == "month"
    year = slots["incident_date"][:4]
    summary = say(rasa_url, sender, a["description"])
    assert f"03.{year}" in texts(summary) and f"01.03.{year}" not in texts(summary)
    # the address is corrected by its name
    say(rasa_url, sender, "дарегим туура эмес")
    assert tracker(rasa_url, sender)["slots"]["requested_slot"] == "address"
    summary = say(rasa_url, sender, "Бишкек, мкр Асанбай 12-34")
    assert "Бишкек, мкр Асанбай 12-34" in texts(summary)
    reference = REFERENCE.search(texts(say(rasa_url, sender, "ооба"))).group()
    stored = {r["reference"]: r for r in staff_list(database_url)}[reference]
    assert stored["incident_date"] == f"{year}-03-01"
    assert stored["address"] == "Бишкек, мкр Асанбай 12-34"


@pytest.mark.parametrize(
    "language, start, crisis, yes",
    [
        ("ru", "хочу подать обращение", "я больше не хочу жить", "да"),
        ("ky", "кайрылуу бергим келет", "мен мындан ары жашагым келбейт", "ооба"),
    ],
)
def test_thoughts_of_suicide_at_consent_get_112_first_and_are_not_a_no(
    rasa_url, language, start, crisis, yes
):
    sender = new_sender()
    say(rasa_url, sender, start)
    replies = say(rasa_url, sender, crisis)
    assert "112" in texts(replies)
    assert bool(KYRGYZ_LETTERS.search(texts(replies))) == (language == "ky")
    slots = tracker(rasa_url, sender)["slots"]
    assert slots["consent"] is None and slots["requested_slot"] == "consent"
    assert payloads(replies)[-2:] == ["/affirm", "/deny"]  # the consent question again
    say(rasa_url, sender, yes)
    slots = tracker(rasa_url, sender)["slots"]
    assert slots["consent"] is True and slots["requested_slot"] == "full_name"


def test_thoughts_of_suicide_at_the_description_are_not_the_description(rasa_url):
    sender = new_sender()
    a = APPEALS["ru"]
    _answer(rasa_url, sender, [a["start"], a["yes"]])
    for step in ("name", "phone", "region", "address", "category", "respondent", "date"):
        say(rasa_url, sender, a[step])
    replies = say(rasa_url, sender, "не хочу больше жить, думаю покончить с собой")
    assert "112" in texts(replies)
    slots = tracker(rasa_url, sender)["slots"]
    assert slots["description"] is None and slots["requested_slot"] == "description"
    summary = say(rasa_url, sender, a["description"])
    assert "/affirm" in payloads(summary)


def test_danger_read_as_emergency_is_answered_by_the_rules_at_any_question(rasa_url):
    """The classifier's faq/emergency: the form rejects it, the rule answers, the form asks again."""
    sender = new_sender()
    danger = "мне угрожают прямо сейчас, я в опасности"
    say(rasa_url, sender, "хочу подать обращение")
    replies = say(rasa_url, sender, danger)
    assert "112" in texts(replies) and payloads(replies)[-2:] == ["/affirm", "/deny"]
    slots = tracker(rasa_url, sender)["slots"]
    assert slots["consent"] is None and slots["requested_slot"] == "consent"
    a = APPEALS["ru"]
    say(rasa_url, sender, a["yes"])
    for step in ("name", "phone", "region", "address", "category", "respondent", "date"):
        say(rasa_url, sender, a[step])
    replies = say(rasa_url, sender, danger)
    assert "112" in texts(replies)
    slots = tracker(rasa_url, sender)["slots"]
    assert slots["description"] is None and slots["requested_slot"] == "description"
    events = [e.get("event") for e in tracker(rasa_url, sender)["events"]]
    assert "action_execution_rejected" in events
