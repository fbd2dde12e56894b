"""The contract's language rules, table-driven."""

from __future__ import annotations

import time

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
# Plain ASCII with no language in it: each of these read as Kyrgyz before (issue 9).
NO_LANGUAGE = [
    "+996 555 ABC 456",
    "'; DROP TABLE appeals; --",
    "SELECT * FROM appeals WHERE id=1; --",
    '{"a": 1}',
    '{"name": "test", "value": true}',
    "<script>alert(1)</script>",
    "https://example.com/path?x=1",
    "www.ombudsman.kg",
    "user@mail.ru",
    "ABC-123",
    "XYZ 123",
    "password123",
    "asdf",
    "qwerty",
    "DROP",
    "hello world",
    "help me please",
    "thanks, bye",
    "lorem ipsum dolor sit amet",
    "12345",
]
LATIN_KYRGYZ = [
    "salamatsyzby, kairyluu bergim keledi",
    "kairyluumdun abaly kandai",
    "jardam kerek",
    "emne kylsam bolot",
    "kandai kairylam",
]
LATIN_RUSSIAN = [
    "zdravstvuyte, hochu podat zhalobu",
    "kak podat obrashchenie",
    "dobryy den, podskazhite telefon ombudsmena",
    "pomogite pozhaluista",
    "pochemu ne rabotaet",
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


@pytest.mark.parametrize("text", NO_LANGUAGE)
def test_plain_ascii_without_language_gives_no_evidence(text):
    assert detect_language(text) is None


@pytest.mark.parametrize("text", NO_LANGUAGE)
@pytest.mark.parametrize("current", ["ru", "ky"])
def test_plain_ascii_keeps_the_current_language(text, current):
    assert choose_language(text, "nlu_fallback", [], current, True, None) == current
    assert choose_language(text, "inform", [], current, True, None, "address") == current


@pytest.mark.parametrize("text", LATIN_KYRGYZ)
def test_latin_typed_kyrgyz_is_recognised(text):
    assert detect_language(text) == "ky"


@pytest.mark.parametrize("text", LATIN_RUSSIAN)
def test_latin_typed_russian_is_recognised(text):
    assert detect_language(text) == "ru"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("мой email test@mail.ru, пишите", "ru"),
        ("менин почтам test@mail.ru", "ky"),
        ("сайт https://ombudsman.kg не открывается", "ru"),
    ],
)
def test_urls_and_emails_inside_a_sentence_do_not_decide(text, expected):
    assert detect_language(text) == expected


def test_the_detector_stays_fast():
    from core.language import default_detector

    detector = default_detector()
    texts = NO_LANGUAGE + LATIN_KYRGYZ + LATIN_RUSSIAN + CLEARLY_KYRGYZ + CLEARLY_RUSSIAN
    started = time.perf_counter()
    for _ in range(20):
        for text in texts:
            detector.detect(text)
    per_message = (time.perf_counter() - started) / (20 * len(texts))
    assert per_message < 0.002, f"{per_message * 1e6:.0f} µs per message"


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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # No marker word: decided by the transliteration, which carries the evidence.
        ("meni jumushtan boshotup jiberishti", "ky"),
        ("ayligymdy berbey jatyshat", "ky"),
        ("gde nahoditsya vash ofis", "ru"),
        ("menya uvolili bez prichiny", "ru"),
        # Once read as Kyrgyz by their Latin letters alone.
        ("operator pozhaluista", "ru"),
        ("migranty v rossii", "ru"),
        # English is neither: the conversation keeps its language.
        ("I want to complain", None),
        ("i need a lawyer", None),
        ("good evening", None),
        ("where can i complain", None),
    ],
)
def test_latin_typed_messages_are_read_through_their_transliteration(text, expected):
    assert detect_language(text) == expected
