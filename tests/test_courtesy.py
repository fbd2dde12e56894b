"""core/courtesy.py: finding the request inside a greeting, table-driven."""

from __future__ import annotations

import pytest

from core.courtesy import clauses, courtesy_vocabulary, greeted_copies, is_question, request_part

EXAMPLES = [
    ("здравствуйте", "greet"),
    ("Здравствуйте!", "greet"),
    ("добрый день", "greet"),
    ("саламатсызбы", "greet"),
    ("саламатсызбы агай", "greet"),
    ("салам агай кандайсыз", "greet"),
    ("zdravstvuite", "greet"),
    ("спасибо", "thank"),
    ("рахмат", "thank"),
    ("как подать жалобу", "faq/appeal_how"),
    ("хочу узнать статус жалобы", "check_appeal_status"),
    ("добрый человек помог мне подать жалобу", "file_appeal"),
    ("агай мени жумуштан кетиришти", "file_appeal"),
]
VOCABULARY = courtesy_vocabulary(EXAMPLES)


@pytest.mark.parametrize(
    ("word", "is_greeting"),
    [
        ("здравствуйте", True),
        ("саламатсызбы", True),
        ("zdravstvuite", True),
        ("кандайсыз", True),
        # Also in requests: not a greeting word.
        ("добрый", False),
        ("агай", False),
        # Thanks are not stripped like greetings.
        ("спасибо", False),
        ("рахмат", False),
        ("жалобу", False),
    ],
)
def test_courtesy_vocabulary(word, is_greeting):
    assert (word in VOCABULARY) is is_greeting


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Здравствуйте, хочу узнать статус своей жалобы", "хочу узнать статус своей жалобы"),
        ("Здравствуйте! Как подать жалобу?", "Как подать жалобу?"),
        ("Саламатсызбы, кайрылуу жазайын дедим", "кайрылуу жазайын дедим"),
        ("САЛАМАТСЫЗБЫ кайрылуу берем", "кайрылуу берем"),
        ("zdravstvuite kak podat zhalobu", "kak podat zhalobu"),
        ("как подать жалобу, здравствуйте", "как подать жалобу"),
        # Nothing but greeting: the message is a greeting.
        ("Здравствуйте!", None),
        ("саламатсызбы, кандайсыз?", None),
        # No greeting at all.
        ("как подать жалобу", None),
        # Only digits or one letter left is no request.
        ("Здравствуйте, 1", None),
    ],
)
def test_request_part(text, expected):
    assert request_part(text, VOCABULARY) == expected


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        (
            "Добрый день, как ваши дела? Хочу пожаловаться",
            ["Добрый день,", "как ваши дела?", "Хочу пожаловаться"],
        ),
        ("Спасибо! А как узнать статус?", ["Спасибо!", "А как узнать статус?"]),
        ("одна часть", ["одна часть"]),
        ("...", []),
    ],
)
def test_clauses(text, pieces):
    assert clauses(text) == pieces


@pytest.mark.parametrize(("text", "question"), [("как?", True), ("как? ", True), ("вот так", False)])
def test_is_question(text, question):
    assert is_question(text) is question


def test_greeted_copies_open_requests_with_a_short_greeting_of_the_data():
    copies = greeted_copies(EXAMPLES, max_words=2)
    requests = [
        (t, label) for t, label in EXAMPLES if label.split("/")[0] not in {"greet", "thank", "goodbye"}
    ]
    assert [label for _, label in copies] == [label for _, label in requests]
    greetings = {t for t, label in EXAMPLES if label == "greet" and len(t.split()) <= 2}
    for (copy, _), (text, _) in zip(copies, requests, strict=True):
        greeting, _, rest = copy.partition(", ")
        assert greeting in greetings
        assert rest == text
    # Repeatable: the same data gives the same copies.
    assert greeted_copies(EXAMPLES, max_words=2) == copies


def test_greeted_copies_without_greetings_is_empty():
    assert greeted_copies([("как подать жалобу", "faq/appeal_how")]) == []
