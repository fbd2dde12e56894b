"""The contract's language rules, table-driven."""

from __future__ import annotations

import pytest

from core.language import choose_language, detect_language

CLEARLY_KYRGYZ = [
    "Саламатсызбы",
    "кайрылуу кантип берем",
    "Акыйкатчы ким?",
    "мага жардам керек",
    "айлык акымды бербей жатышат",
    "рахмат сизге",
    "омбудсменге даттануу бергим келет",
    "балам мектепке бара албай жатат",
    "менин кайрылуумдун абалы кандай",
    "пенсиямды качан алам",
    "мени кордошту, эмне кылсам болот",
    "маалыматымды очуруп салыныз",
]
CLEARLY_RUSSIAN = [
    "Здравствуйте",
    "как подать обращение",
    "Кто такой омбудсмен?",
    "мне нужна помощь",
    "не платят зарплату уже три месяца",
    "спасибо большое",
    "хочу пожаловаться на акимиат",
    "ребенка не берут в школу",
    "какой статус моего обращения",
    "когда мне назначат пенсию",
    "меня задержала полиция что делать",
    "удалите мои данные пожалуйста",
]
UNCLEAR = [
    "ok",
    "115",
    "+996 555 123 456",
    "Асанов Бакыт",
    "Иванова Мария Петровна",
    "AK-2026-000042",
    "12.03.2026",
    "/start",
    "",
    "   ",
    "😀",
    "?",
]


@pytest.mark.parametrize("text", CLEARLY_KYRGYZ)
def test_kyrgyz_is_recognised_with_or_without_special_letters(text):
    assert detect_language(text) == "ky"


@pytest.mark.parametrize("text", CLEARLY_RUSSIAN)
def test_russian_is_recognised(text):
    assert detect_language(text) == "ru"


@pytest.mark.parametrize("text", UNCLEAR)
def test_short_numbers_names_and_commands_give_no_evidence(text):
    assert detect_language(text) is None


@pytest.mark.parametrize(
    "text, intent, entities, current, was_set, telegram, requested, expected",
    [
        # the message's own language wins when it is clear
        ("как подать обращение", "faq", [], "ky", True, None, None, "ru"),
        ("кайрылуу кантип берем", "faq", [], "ru", True, None, None, "ky"),
        # "ok", a number, a name keep the current language
        ("ok", "affirm", [], "ru", True, None, None, "ru"),
        ("115", "inform", [], "ky", True, "ru", None, "ky"),
        ("Асанов Бакыт", "inform", [], "ru", True, None, "full_name", "ru"),
        # answers to names, phones and dates never flip, even when they look Kyrgyz
        ("бакыт асанов", "inform", [], "ru", True, None, "full_name", "ru"),
        ("кечээ", "inform", [], "ru", True, None, "incident_date", "ru"),
        # explicit switching beats the message's language
        (
            "переключи на кыргызский",
            "switch_language",
            [{"entity": "language", "value": "ky"}],
            "ru",
            True,
            None,
            None,
            "ky",
        ),
        (
            "орусча жазыңыз",
            "switch_language",
            [{"entity": "language", "value": "ru"}],
            "ky",
            True,
            None,
            None,
            "ru",
        ),
        # Telegram's language_code is the first guess for a new user only
        ("/start", "greet", [], "ky", False, "ru", None, "ru"),
        ("/start", "greet", [], "ky", False, "ru-RU", None, "ru"),
        ("/start", "greet", [], "ru", True, "ky", None, "ru"),
        ("/start", "greet", [], "ky", False, "en", None, "ky"),
        # nothing tells: Kyrgyz, the state language
        ("ok", "affirm", [], None, False, None, None, "ky"),
    ],
)
def test_choose_language(text, intent, entities, current, was_set, telegram, requested, expected):
    assert choose_language(text, intent, entities, current, was_set, telegram, requested) == expected
