"""core/courtesy.py: finding the request inside a greeting, table-driven."""

from __future__ import annotations

import pytest

from core import courtesy
from core.language import matching_form

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
VOCABULARY = courtesy.courtesy_vocabulary(EXAMPLES)


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
    assert (matching_form(word) in VOCABULARY) is is_greeting


# Requests written as people open them: the greeting words stay greeting words.
OPENED = [
    ("здравствуйте", "greet"),
    ("здравствуйте, бот", "greet"),
    ("здравствуйте, я из Оша", "greet"),
    ("салам алейкум", "greet"),
    ("салам алейкум агай", "greet"),
    ("салам алейкум баарыңызга", "greet"),
    ("кечиресиз, саламатсызбы", "greet"),
    ("Здравствуйте, как подать жалобу?", "faq/appeal_how"),
    ("Здравствуйте, хочу узнать статус жалобы", "check_appeal_status"),
    ("здравствуйте помогите с пенсией", "faq/pension_benefits"),
    ("салам алейкум, арыз жазам", "file_appeal"),
    ("салам алейкум акыйкатчы ким", "faq/ombudsman_role"),
    ("кечиресиз, кантип кайрылам", "faq/appeal_how"),
    ("кечиресиз, акча төлөйбүзбү", "faq/appeal_cost"),
    ("сиз кечиресиз деп айтыңыз", "out_of_scope"),
    ("дагы бир жолу агай келди", "inform"),
    ("агай", "inform"),
]


@pytest.mark.parametrize(
    ("word", "is_greeting"),
    [
        ("здравствуйте", True),
        ("салам", True),
        # Follows a greeting word at the opening.
        ("алейкум", True),
        # Typed in Latin letters, the same word.
        ("salam", True),
        # Opens requests, but is in one greeting only, and said in the middle too.
        ("кечиресиз", False),
        # In greetings and requests alike, not only at the opening.
        ("агай", False),
        ("как", False),
    ],
)
def test_greeting_words_that_open_requests_stay_greeting_words(word, is_greeting):
    assert (matching_form(word) in courtesy.courtesy_vocabulary(OPENED)) is is_greeting


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
    assert courtesy.request_part(text, VOCABULARY) == expected


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
    assert courtesy.clauses(text) == pieces


@pytest.mark.parametrize(("text", "question"), [("как?", True), ("как? ", True), ("вот так", False)])
def test_is_question(text, question):
    assert courtesy.is_question(text) is question


COMPANION_EXAMPLES = [
    ("салам бот", "greet"),
    ("здравствуйте, бот", "greet"),
    ("саламатсызбы агай", "greet"),
    ("ты бот?", "bot_challenge"),
]


@pytest.mark.parametrize(
    ("text", "only_greeting"),
    [
        ("бот", True),  # in two greetings: whom they greet
        ("Бот!", True),
        ("агай", False),  # in one greeting only
        ("бот, помогите", False),
        ("", False),
    ],
)
def test_only_greeting_words(text, only_greeting):
    companions = courtesy.greeting_companions(COMPANION_EXAMPLES)
    assert courtesy.only_greeting_words(text, companions) is only_greeting


def test_greeted_copies_open_requests_with_a_short_greeting_of_the_data():
    copies = courtesy.greeted_copies(EXAMPLES, max_words=2)
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
    assert courtesy.greeted_copies(EXAMPLES, max_words=2) == copies


def test_greeted_copies_without_greetings_is_empty():
    assert courtesy.greeted_copies([("как подать жалобу", "faq/appeal_how")]) == []


# -- the answer greets back (akyikatchy/nlg.py) ----------------------------------------


def _answer(language: str, greeted: bool, already_answered: bool = False) -> list[str]:
    import asyncio

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from akyikatchy.nlg import LanguageAwareNLG

    domain = Domain.load("domain")
    text = {"ky": "Саламатсызбы, жардам керек", "ru": "Здравствуйте, что вы умеете?"}[language]
    parse = {
        "intent": {"name": "help", "confidence": 0.9},
        "text": text,
        **({"greeted": True} if greeted else {}),
    }
    events = [SlotSet("language", language), UserUttered(text, parse["intent"], parse_data=parse)]
    if already_answered:
        events.append(BotUttered("…"))
    tracker = DialogueStateTracker.from_events("u", events, domain.slots)
    nlg = LanguageAwareNLG(domain=domain)
    return [
        asyncio.run(nlg.generate(name, tracker, "rest"))["text"]
        for name in ("utter_help", "utter_greet_back")
    ]


@pytest.mark.parametrize("language", ["ky", "ru"])
def test_a_request_inside_a_greeting_is_answered_with_a_greeting(language):
    answer, hello = _answer(language, greeted=True)
    assert answer.startswith(hello + " ")
    plain, _ = _answer(language, greeted=False)
    assert not plain.startswith(hello)
    assert answer == f"{hello} {plain}"


def test_only_the_first_answer_of_the_turn_greets():
    answer, hello = _answer("ru", greeted=True, already_answered=True)
    assert not answer.startswith(hello)


# -- the trained model (models/akyikatchy.tar.gz, made by `make train`) --------------------


@pytest.fixture(scope="module")
def agent():
    import pathlib

    from rasa.core.agent import Agent

    model = pathlib.Path("models/akyikatchy.tar.gz")
    if not model.exists():
        pytest.skip("no trained model: run `make train`")
    return Agent.load(str(model))


@pytest.mark.parametrize(
    ("text", "label", "greeted"),
    [
        ("Здравствуйте, подскажите пожалуйста телефон омбудсмена", "faq/contacts", True),
        ("Добрый вечер! Как мне подать жалобу на акимат?", "faq/appeal_how", True),
        ("Саламатсызбы, арызымдын абалын билгим келет", "check_appeal_status", True),
        ("salam, kairyluu bergim kelet", "file_appeal", True),
        ("Здравствуйте", "greet", False),
        ("саламатсызбы агай", "greet", False),
        # Greeting the bot or the Ombudsman is a greeting, not a question about them.
        ("здрасьте бот", "greet", False),
        ("добрый день акыйкатчы", "greet", False),
        ("привет бот, ты живой человек?", "bot_challenge", True),
        # A hello with an introduction and no request yet is a hello, not a form answer.
        ("Добрый вечер, меня зовут Бакыт, я из Каракола", "greet", False),
        ("Саламатсызбы, мен Асел, Таластан жазып жатам", "greet", False),
        # Without a greeting, the same introduction answers a form question.
        ("меня зовут Бакыт Асанов", "inform", False),
        ("подскажите телефон омбудсмена", "faq/contacts", False),
        ("рахмат, жардам бердиңиз", "thank", False),
    ],
)
def test_the_request_inside_a_greeting_is_understood(agent, text, label, greeted):
    import asyncio

    parsed = asyncio.run(agent.parse_message(text))
    intent = parsed["intent"].get("full_retrieval_intent_name") or parsed["intent"]["name"]
    assert intent == label
    assert bool(parsed.get("greeted")) is greeted


@pytest.mark.parametrize(
    ("text", "understood"),
    [
        # Keyboard mashes share short n-grams with real words, not 4-grams: asked again.
        ("фывапролдж", False),
        ("ыыыыы ккк", False),
        ("йцукен", False),
        ("ячсмит олдж", False),
        ("asdfgh", False),
        ("???", False),
        # Form answers with digits or unusual names are answers, never gibberish.
        ("0555 12 34 56", True),
        ("+82 10 4821 3390", True),
        ("12.03.2026", True),
        ("Бишкек ш., Ахунбаев көч. 45", True),
        ("ооба", True),
        ("Ыдырысов Жээнбек", True),
        ("olga.v.tokmok@mail.ru", True),
    ],
)
def test_gibberish_is_asked_again_and_form_answers_are_not(agent, text, understood):
    import asyncio

    parsed = asyncio.run(agent.parse_message(text))
    assert (parsed["intent"]["name"] != "nlu_fallback") is understood


def test_a_form_answer_after_a_greeting_is_a_hello_with_an_introduction():
    copies = courtesy.greeted_copies([*EXAMPLES, ("я из Оша, Айбек", "inform")], max_words=2)
    text, label = copies[-1]
    assert text.endswith(", я из Оша, Айбек")
    assert label == "greet"


def test_a_greeting_word_stays_one_however_many_requests_open_with_it():
    greetings = [
        ("здравствуйте", "greet"),
        ("здравствуйте, я из Таласа", "greet"),
        ("здравствуйте бот", "greet"),
        ("привет, я из Таласа", "greet"),
    ]
    # Far more requests than greetings open with "здравствуйте": it is still a greeting word.
    requests = [(f"здравствуйте, как подать жалобу номер {n}", "faq/appeal_how") for n in range(30)]
    vocabulary = courtesy.courtesy_vocabulary(
        [*greetings, *requests, ("я из Таласа пишу жалобу", "file_appeal")]
    )
    assert "здравствуйте" in vocabulary
    # A town the greetings name, but that opens none of them, is not.
    assert "таласа" not in vocabulary
