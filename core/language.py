"""Which language (Kyrgyz or Russian) a message is written in, and which one to answer in.

The contract's language rules as pure functions (:func:`choose_language`); the Rasa
process reads them off its tracker in ``akyikatchy/rasa_language.py`` and records the
answer in the ``language`` slot, which the action server then only reads.

The detector is a small naive-Bayes model over words and character n-grams, fitted on the
project's own NLU examples (``data/nlu_ky.yml`` / ``data/nlu_ru.yml``), so content authors
improve it by adding examples.  Kyrgyz typed without ү ө ң is handled by folding those letters
before scoring; a message containing them is Kyrgyz outright.

A message with no clear language never decides: URLs, e-mail addresses and anything holding a
digit (phones, references, dates, codes) are removed before scoring, and a message in Latin
letters only (SQL, JSON, English, ``+996 555 ABC 456``) counts only when its words are Latin-typed
Kyrgyz or Russian the project knows: a marker word below or a word of the NLU examples.  Only
then does its character n-gram score apply (few examples are in Latin letters, so unknown Latin
n-grams would otherwise lean to whichever language has more of them).
"""

from __future__ import annotations

import functools
import math
import os
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Optional

KY = "ky"
RU = "ru"
LANGUAGES = (KY, RU)
DEFAULT_LANGUAGE = KY
#: The slot that records the conversation's language (set by the Rasa-side LanguagePolicy).
LANGUAGE_SLOT = "language"

# Slots whose answers are names, numbers, addresses or dates: they never flip the language.
NEUTRAL_SLOTS = frozenset({"full_name", "phone", "incident_date", "region", "category", "address"})

_KYRGYZ_LETTERS = re.compile("[үөңҮӨҢ]")
_FOLD = str.maketrans({"ү": "у", "ө": "о", "ң": "н", "Ү": "у", "Ө": "о", "Ң": "н"})
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*", re.UNICODE)
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_LATIN_LETTER = re.compile("[A-Za-z]")
# Spans that carry no language: URLs, e-mail addresses, any token holding a digit.
_NO_LANGUAGE = re.compile(r"(?:[a-z][a-z0-9+.-]*://|www\.)\S*|\S+@\S+|\S*\d\S*", re.IGNORECASE)

# Margin (mean log-odds per feature) below which a message counts as unclear.
DEFAULT_THRESHOLD = 0.03
# Short function words that settle a short message on their own (folded spelling).
KYRGYZ_MARKERS = frozenset(
    "мен сен сиз биз алар мага сага сизге менин сиздин эмне эмне? ким кантип кайда качан "
    "канча кандай жок ооба макул барбы болобу керек бул ушул го рахмат салам саламатсызбы "
    "жакшы деп үчүн учун менен жана бирок дагы абдан эч men sen siz emne kim kantip kaida "
    "kachan kancha kandai jok ooba rahmat salam kerek".split()
)
RUSSIAN_MARKERS = frozenset(
    "я ты вы мне мой моя мои вам вас меня кто что как где куда когда почему зачем не нет да "
    "это есть можно нужно надо хочу спасибо здравствуйте привет пожалуйста или если уже "
    "только тоже очень мы он она они ли бы же kto chto kak gde ya ty vy mne ne net da eto "
    "mozhno nuzhno khochu hochu spasibo privet zdravstvuite pozhaluista".split()
)
# Latin-typed words that tell the language on their own (folded, lower case).
LATIN_KYRGYZ_MARKERS = frozenset(
    "salamatsyzby salamatsyzbi salamatsizbi kairyluu kaiyrluu kayrylu kairyluum kairyluumdun "
    "ariz aryz arizdy jardam kerek kandai kandaj kantip emne men menin siz sizge bergim "
    "kelet keledi jazgym jazam jok ooba makul rahmat raxmat jakshy barby boyuncha uchun menen "
    "jana akyikatchy akyikatchyga abaly dattanuu".split()
)
LATIN_RUSSIAN_MARKERS = frozenset(
    "zdravstvuyte zdravstvuite zdravstvujte zdrastvuite zdrastvuyte zdravstvuy privet hochu "
    "khochu podat zhalobu zhaloba zhaloby obrashchenie obrashenie obrashcheniya pomogite "
    "pomoshch pozhaluista pozhaluysta spasibo kak chto gde kogda pochemu mne menya moy moya moi "
    "net eto nuzhno mozhno ya vy dobryy dobriy dobryi skazhite podskazhite uznat kto".split()
)
# Latin letters to Cyrillic, longest first: a Latin-typed message is scored as the Cyrillic it
# stands for, where the detector has its evidence ("kairyluudan kiyin" -> "каирылуудан кийин").
_LATIN_TO_CYRILLIC = (
    ("shch", "щ"), ("sch", "щ"), ("zh", "ж"), ("kh", "х"), ("ch", "ч"), ("sh", "ш"), ("ts", "ц"),
    ("ya", "я"), ("yu", "ю"), ("yo", "ё"), ("a", "а"), ("b", "б"), ("v", "в"), ("g", "г"),
    ("d", "д"), ("e", "е"), ("z", "з"), ("i", "и"), ("j", "ж"), ("k", "к"), ("l", "л"),
    ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"), ("r", "р"), ("s", "с"), ("t", "т"),
    ("u", "у"), ("f", "ф"), ("h", "х"), ("c", "к"), ("y", "ы"), ("w", "в"), ("x", "кс"),
    ("q", "к"),
)  # fmt: skip
_LATIN_RE = re.compile("|".join(re.escape(latin) for latin, _ in _LATIN_TO_CYRILLIC))
_LATIN_MAP = dict(_LATIN_TO_CYRILLIC)
# A Latin-only message is decided by its transliteration only when enough of its words are
# Kyrgyz or Russian (markers, or words of the Latin-typed NLU examples), and from this score
# on: a transliteration alone makes English look Russian ("i need a lawyer" → "и неед а
# лавыер" scores about 1.9, as strongly as real Latin-typed Russian).
LATIN_MARKED_THRESHOLD = 0.5
# A Latin word of the NLU examples counts as evidence from this log-odds on.
LATIN_WORD_EVIDENCE = 0.5
# Shorter Latin words ("i", "a", "to") are English as often as transliterated "и", "а", "то".
MIN_LATIN_EVIDENCE_WORD = 3
# Share of a Latin-only message's words that must be evidence.
LATIN_EVIDENCE_SHARE = 1 / 3
MARKER_WEIGHT = 0.25
SINGLE_WORD_THRESHOLD = 0.4
# Words both communities type the same way: alone, they tell nothing.
NEUTRAL_WORDS = frozenset(
    "ok ок okay окей ok? ak ак ага угу ааа мм hi "
    # English words people mix into both languages ("help", "pls"): no evidence for either.
    "hello help please pls plz thanks thx sorry bye yes no free asap faq world sos".split()
)


def fold(text: str) -> str:
    """Lower-case and fold ү ө ң, so Kyrgyz typed without them scores the same."""
    return text.lower().translate(_FOLD)


def words(text: str) -> list[str]:
    """The folded words of a message."""
    return _WORD.findall(fold(text))


def _features(text: str) -> list[str]:
    feats: list[str] = []
    for word in words(text):
        feats.append("w:" + word)
        padded = f" {word} "
        for n in (2, 3, 4):
            feats.extend("c:" + padded[i : i + n] for i in range(len(padded) - n + 1))
    return feats


def _learnable(text: str) -> str:
    """What a training example teaches the detector: in a Cyrillic message, Latin words are
    English or names ("good evening, я Улан", "help, WhatsApp не открывается"), not Latin-typed
    Kyrgyz or Russian, so they are left out."""
    if not _CYRILLIC.search(text):
        return text
    kept = (token for token in text.split() if _CYRILLIC.search(token) or not _LATIN_LETTER.search(token))
    return " ".join(kept)


def to_cyrillic(text: str) -> str:
    """A Latin-typed message as the Cyrillic it most likely stands for (lower case)."""
    return _LATIN_RE.sub(lambda match: _LATIN_MAP[match.group(0)], text.lower())


def matching_form(text: str) -> str:
    """A message as the classifier compares it: Latin letters as the Cyrillic they stand for,
    then folded, so "kairyluu berem", "кайрылуу берем" and "кайрылуу берем" look alike."""
    return fold(to_cyrillic(text))


def looks_like_name(text: str) -> bool:
    """'Асанов Бакыт Маратович', 'Бишкек': capitalised words only, no language evidence."""
    tokens = text.split()
    if not 1 <= len(tokens) <= 5:
        return False
    if any(fold(t) in KYRGYZ_MARKERS or fold(t) in RUSSIAN_MARKERS for t in tokens):
        return False
    return all(_WORD.fullmatch(t) and t[:1].isupper() and not t.isupper() for t in tokens)


class LanguageDetector:
    """Two-class multinomial naive Bayes over folded words and character n-grams."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.threshold = threshold
        self._log_odds: dict[str, float] = {}
        self._prior = 0.0

    def fit(self, ky_texts: Iterable[str], ru_texts: Iterable[str]) -> LanguageDetector:
        counts = {KY: Counter(), RU: Counter()}
        docs = {KY: 0, RU: 0}
        for lang, texts in ((KY, ky_texts), (RU, ru_texts)):
            for text in texts:
                counts[lang].update(_features(_learnable(text)))
                docs[lang] += 1
        vocabulary = set(counts[KY]) | set(counts[RU])
        total_ky = sum(counts[KY].values()) + len(vocabulary)
        total_ru = sum(counts[RU].values()) + len(vocabulary)
        self._log_odds = {
            f: math.log((counts[KY][f] + 1) / total_ky) - math.log((counts[RU][f] + 1) / total_ru)
            for f in vocabulary
        }
        self._prior = math.log(max(docs[KY], 1) / max(docs[RU], 1))
        return self

    def score(self, text: str) -> tuple[float, int]:
        """Mean log-odds (positive: Kyrgyz) over the known features, and their number."""
        known = [self._log_odds[f] for f in _features(text) if f in self._log_odds]
        if not known:
            return 0.0, 0
        return sum(known) / len(known), len(known)

    def _latin_evidence(self, tokens: list[str]) -> int:
        """How many words of a Latin-only message are Latin-typed Kyrgyz or Russian."""
        count = 0
        for token in tokens:
            if token in NEUTRAL_WORDS:
                continue
            if token in LATIN_KYRGYZ_MARKERS or token in LATIN_RUSSIAN_MARKERS:
                count += 1
            elif (
                len(token) >= MIN_LATIN_EVIDENCE_WORD
                and abs(self._log_odds.get("w:" + token, 0.0)) >= LATIN_WORD_EVIDENCE
            ):
                count += 1
        return count

    def detect(self, text: Optional[str]) -> Optional[str]:
        """'ky', 'ru', or None when the message gives no clear evidence."""
        if not text:
            return None
        text = text.strip()
        if not text or text.startswith("/"):
            return None
        if _KYRGYZ_LETTERS.search(text):
            return KY
        text = _NO_LANGUAGE.sub(" ", text).strip()
        tokens = words(text)
        if not tokens or sum(len(t) for t in tokens) < 2:
            return None
        if looks_like_name(text) or all(t in NEUTRAL_WORDS for t in tokens):
            return None
        if not _CYRILLIC.search(text):
            return self._detect_latin(text, tokens)
        mean, n = self.score(text)
        mean += MARKER_WEIGHT * (
            sum(t in KYRGYZ_MARKERS for t in tokens) - sum(t in RUSSIAN_MARKERS for t in tokens)
        )
        threshold = self.threshold
        if len(tokens) == 1 and tokens[0] not in KYRGYZ_MARKERS | RUSSIAN_MARKERS:
            # One word ("телефон", "паспорт") is often a loanword both languages share.
            threshold = SINGLE_WORD_THRESHOLD
        if n == 0 or abs(mean) < threshold:
            return None
        return KY if mean > 0 else RU

    def _detect_latin(self, text: str, tokens: list[str]) -> Optional[str]:
        """Latin-typed Kyrgyz or Russian, scored as Cyrillic; None for English, code, names.

        Only words known as Kyrgyz or Russian ("kairyluu", "zdravstvuite", or a word of the
        Latin-typed examples) let a message be decided at all.
        """
        evidence = self._latin_evidence(tokens)
        # Scored without one- and two-letter words: "i", "a", "to" read as "и", "а", "то"
        # would make English look Russian.
        longer = " ".join(t for t in tokens if len(t) >= MIN_LATIN_EVIDENCE_WORD)
        mean, n = self.score(to_cyrillic(longer or text))
        mean += MARKER_WEIGHT * (
            sum(t in LATIN_KYRGYZ_MARKERS for t in tokens) - sum(t in LATIN_RUSSIAN_MARKERS for t in tokens)
        )
        marked = evidence > 0 and evidence >= LATIN_EVIDENCE_SHARE * len(tokens)
        if not marked or n == 0 or abs(mean) < LATIN_MARKED_THRESHOLD:
            return None
        return KY if mean > 0 else RU


def read_nlu_examples(path: Path) -> list[str]:
    """Plain example texts of an NLU YAML file, entity annotations removed."""
    import yaml  # local import: only needed when fitting

    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    texts: list[str] = []
    for block in data.get("nlu") or []:
        if "intent" not in block:
            continue
        for line in str(block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                texts.append(_ANNOTATION.sub(r"\1", line[2:]).strip())
    return texts


def data_dir() -> Path:
    """The NLU files the detector is fitted on (``AKY_DATA_DIR``, default ``data/``)."""
    return Path(os.environ.get("AKY_DATA_DIR", Path(__file__).resolve().parent.parent / "data"))


_default: Optional[LanguageDetector] = None
_lock = threading.Lock()


def default_detector() -> LanguageDetector:
    """The detector fitted on the project's NLU files, lazily, once per process.

    Only the Rasa process needs it (the action server reads the ``language`` slot);
    fitting takes a fraction of a second.
    """
    global _default
    if _default is None:
        with _lock:
            if _default is None:
                directory = data_dir()
                _default = LanguageDetector().fit(
                    read_nlu_examples(directory / "nlu_ky.yml"),
                    read_nlu_examples(directory / "nlu_ru.yml"),
                )
    return _default


@functools.lru_cache(maxsize=4096)
def detect_language(text: Optional[str]) -> Optional[str]:
    """Cached: the NLG and the language policy both ask about the same message."""
    return default_detector().detect(text)


def choose_language(
    text: Optional[str],
    intent: Optional[str],
    entities: Sequence[dict],
    current: Optional[str],
    language_was_set: bool,
    telegram_code: Optional[str],
    requested_slot: Optional[str] = None,
) -> str:
    """The language to answer the latest message in (the contract's language rules).

    Explicit switch > the message's own clear language > the current language >
    Telegram's language_code for a new user > Kyrgyz.
    """
    if intent == "switch_language":
        for entity in entities or []:
            if entity.get("entity") == "language" and entity.get("value") in LANGUAGES:
                return entity["value"]
    if requested_slot not in NEUTRAL_SLOTS:
        detected = detect_language(text)
        if detected:
            return detected
    if language_was_set and current in LANGUAGES:
        return current
    code = (telegram_code or "").lower()[:2]
    if code in LANGUAGES:
        return code
    return current if current in LANGUAGES else DEFAULT_LANGUAGE
