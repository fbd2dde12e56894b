"""Greetings and thanks around a request: find the request inside the courtesy.

"Здравствуйте, хочу узнать статус своей жалобы" is a status question, not a greeting. A
classifier over the whole message sees a strong greeting and a weaker request and picks the
greeting; people then get "hello" and nothing else. So the request is looked for apart from
the courtesy around it, and classified on its own.

Which words are greetings is learned from the training data (`courtesy_vocabulary`): a word
that occurs almost only in greetings ("саламатсызбы", "здравствуйте", "zdravstvuite").
Thanks are not stripped the same way: "рахмат, жардам бердиңиз" is thanks for the help, not
a request for help; only a question after thanks is a new request. Content authors teach a
new greeting by adding it to the `greet` examples; no word list lives in code.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Iterable

from core.language import matching_form, words

COURTESY_INTENTS = frozenset({"greet", "thank", "goodbye"})
GREETING_INTENT = "greet"
# An answer to a form question ("Бишкек", "меня зовут Айбек"): not a request of its own.
FORM_ANSWER_INTENT = "inform"
# What a message can be without asking for anything: courtesy, or a form answer.
NOT_REQUESTS = COURTESY_INTENTS | {FORM_ANSWER_INTENT}

# A word is a greeting when at least this share of the examples containing it are greetings.
COURTESY_SHARE = 0.9
# Words shorter than this never count as courtesy alone ("а", "и", "мен").
MIN_COURTESY_WORD = 3
# A greeting word that requests also open with ("Здравствуйте, ..."): it is in at least this
# many greetings, opens at least GREETING_OPENING_SHARE of the greetings that use it, and at
# least OPENING_SHARE of the requests that use it have it among their opening words. Where a
# word stands, not how often requests are greeted, tells: the more requests open with
# "здравствуйте", the smaller the share of its examples that are greetings.
MIN_OPENING_GREETINGS = 3
GREETING_OPENING_SHARE = 0.6
OPENING_SHARE = 0.8

_TOKEN = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*|\d+|[^\w\s]", re.UNICODE)
_CLAUSE = re.compile(r"[^.!?,;:\n]+[.!?,;:\n]*")


def _words(text: str) -> list[str]:
    """Words as the classifier compares them: "salam" is "салам"."""
    return words(matching_form(text))


def courtesy_vocabulary(examples: Iterable[tuple[str, str]]) -> frozenset[str]:
    """The words of (text, intent) examples that greetings use and requests only open with.

    A word (almost) only greetings use is one ("саламатсызбы"). So is a word of many
    greetings that requests use only in their opening words ("Здравствуйте, как подать
    жалобу?", "салам алейкум, арыз жазам"): requests written the way people open them must
    not make "здравствуйте" a word of requests.
    """
    read = [(_words(text), intent.split("/")[0]) for text, intent in examples]
    vocabulary = _greeting_only_words(read)
    for _ in range(2):  # "салам" first, then "алейкум" that follows it
        vocabulary |= _opening_words(read, vocabulary)
    return vocabulary


def _greeting_only_words(read: list[tuple[list[str], str]]) -> frozenset[str]:
    in_courtesy: Counter[str] = Counter()
    everywhere: Counter[str] = Counter()
    for found, intent in read:
        for word in set(found):
            everywhere[word] += 1
            if intent == GREETING_INTENT:
                in_courtesy[word] += 1
    return frozenset(
        word
        for word, count in in_courtesy.items()
        if len(word) >= MIN_COURTESY_WORD and count / everywhere[word] >= COURTESY_SHARE
    )


def _opening_words(read: list[tuple[list[str], str]], known: frozenset[str]) -> frozenset[str]:
    """Greeting words that open the greetings using them and other examples only among their opening words.

    The opening words: the known greeting words a message starts with, and the word after
    them ("Здравствуйте", "салам алейкум", "добрый вечер"). A name or a town in "салам, мен
    Таластан" is in greetings but does not open them.
    """
    in_courtesy: Counter[str] = Counter()
    opens_courtesy: Counter[str] = Counter()
    elsewhere: Counter[str] = Counter()
    opening: Counter[str] = Counter()
    for found, intent in read:
        lead = 0
        while lead < len(found) and found[lead] in known:
            lead += 1
        leading = set(found[: lead + 1]) - set(found[lead + 1 :])
        if intent == GREETING_INTENT:
            in_courtesy.update(set(found))
            opens_courtesy.update(leading)
        else:
            elsewhere.update(set(found))
            opening.update(leading)
    return frozenset(
        word
        for word, count in in_courtesy.items()
        if len(word) >= MIN_COURTESY_WORD
        and count >= MIN_OPENING_GREETINGS
        and opens_courtesy[word] >= GREETING_OPENING_SHARE * count
        and opening[word] >= OPENING_SHARE * elsewhere[word]
    )


def greeting_companions(examples: Iterable[tuple[str, str]], min_count: int = 2) -> frozenset[str]:
    """Words that come with greetings in at least ``min_count`` `greet` examples.

    Whom the greeting is for and how it is said ("бот", "агай", "акыйкатчы", "уважаемые",
    "добрый день"): "Здравствуйте, бот" is a greeting, not a question about bots.
    """
    counts: Counter[str] = Counter()
    for text, intent in examples:
        if intent.split("/")[0] == GREETING_INTENT:
            counts.update(set(_words(text)))
    return frozenset(word for word, count in counts.items() if count >= min_count)


def only_greeting_words(text: str, vocabulary: frozenset[str]) -> bool:
    """Every word of ``text`` is one that greetings use: nothing is asked."""
    found = _words(text)
    return bool(found) and all(word in vocabulary for word in found)


def request_part(text: str, vocabulary: frozenset[str]) -> str | None:
    """The message without the greeting that opens or closes it, or None if there is none.

    None also when nothing but greeting is left ("Здравствуйте!", "салам агай"): that
    message *is* a greeting.
    """
    tokens = _TOKEN.findall(text)
    start, end = 0, len(tokens)
    while start < end and (not tokens[start][0].isalnum() or matching_form(tokens[start]) in vocabulary):
        start += 1
    while end > start and (not tokens[end - 1][0].isalnum() or matching_form(tokens[end - 1]) in vocabulary):
        end -= 1
    if not any(t[0].isalnum() for t in tokens[end:]):
        end = len(tokens)  # no closing greeting: keep the final "?" or "!"
    if start == 0 and end == len(tokens):
        return None
    rest = tokens[start:end]
    if not any(t[0].isalpha() and len(t) >= 2 for t in rest):
        return None
    return _join(rest)


def greeted_copies(examples: list[tuple[str, str]], max_words: int = 3) -> list[tuple[str, str]]:
    """Each request of (text, label) examples once more, opened with a short greeting.

    The greeting is one of the examples' own short greetings, chosen by a hash of the text
    so that training is repeatable. Teaches the classifier that "Салам, <request>" is the
    request; the greetings come from the data, so an author's new greeting is used too.
    A form answer after a greeting ("Здравствуйте, я из Оша, меня зовут Айбек") is a hello
    with an introduction, as people open a talk: its copy is labelled a greeting. Inside the
    form the slot is filled from the text whatever the intent, so nothing is lost there.
    """
    greetings = sorted(
        {text for text, label in examples if label == GREETING_INTENT and len(text.split()) <= max_words}
    )
    if not greetings:
        return []
    return [
        (
            f"{greetings[zlib.crc32(text.encode('utf-8')) % len(greetings)]}, {text}",
            GREETING_INTENT if label == FORM_ANSWER_INTENT else label,
        )
        for text, label in examples
        if label.split("/")[0] not in COURTESY_INTENTS and not text.startswith("/")
    ]


def clauses(text: str) -> list[str]:
    """The message cut at sentence and clause punctuation, empty pieces dropped.

    A question mark stays with its clause: it tells a question after thanks.
    """
    return [piece.strip() for piece in _CLAUSE.findall(text) if piece.strip(" .!,;:\n")]


def is_question(text: str) -> bool:
    return text.rstrip().endswith("?")


def _join(tokens: list[str]) -> str:
    out = ""
    for token in tokens:
        if out and token[0].isalnum():
            out += " "
        out += token
    return out
