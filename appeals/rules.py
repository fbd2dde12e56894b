"""Validation and parsing of the appeal form's answers (``appeal_form``, CONTRACT.md).

Everything here is pure: no I/O, no logging, no state.  Each function takes whatever
the user typed (any ``str``, however hostile) and returns a value or an error code; none
of them raises on string input, so a form action can call them without a try/except.

Matching of free text (regions, categories, field names) works on a *folded* spelling:
lower case, Latin transliterated to Cyrillic, Kyrgyz ү ө ң folded to у о н, and a few
letters that people confuse (ы/и/й, э/е, ё/е, ь/ъ dropped) merged.  So "Ысык-Көл",
"Ысык-Кол", "Ysyk-Kol" and "исык кол" all look the same to the matcher, and small
misspellings are absorbed by an edit-distance check whose tolerance grows with the
word's length.  Ambiguous answers return ``None`` so the form shows its buttons again.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

__all__ = [
    "normalize_phone",
    "check_full_name",
    "match_region",
    "match_category",
    "parse_incident_date",
    "is_late",
    "check_description",
    "check_respondent",
    "normalize_reference",
    "match_field",
    "REGIONS",
    "CATEGORIES",
    "FIELDS",
]

REGIONS = (
    "bishkek", "osh_city", "batken", "chui", "jalal_abad", "issyk_kul", "naryn",
    "osh_region", "talas", "abroad",
)
CATEGORIES = (
    "labour", "social_protection", "health", "law_enforcement", "courts", "housing_land",
    "children", "discrimination", "violence", "migration", "documents", "other",
)
FIELDS = (
    "full_name", "phone", "region", "category", "respondent", "incident_date", "description",
)

# --------------------------------------------------------------------------
# character hygiene
# --------------------------------------------------------------------------

# Invisible characters that copy-paste leaves behind (zero-width space/joiners, LRM/RLM,
# word joiner, BOM, soft hyphen): they carry no text, so they are dropped everywhere.
_ZERO_WIDTH_RE = re.compile("[\u00ad\u180e\u200b-\u200f\u2060-\u2064\ufeff]")
# Every format character (category Cf), bidi overrides/isolates included: dropped from
# free text, where keeping them would only let text display differently from what it is.
_FORMAT_RE = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)
# C0/C1 controls except tab and newline.
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Horizontal spaces (tab excluded) that collapse to one ordinary space.
_HSPACE_RE = re.compile("[ \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-",
                         "\u2014": "-", "\u2015": "-", "\u2212": "-", "\ufe63": "-",
                         "\uff0d": "-"})


def _is_str(value: object) -> bool:
    return isinstance(value, str)


# --------------------------------------------------------------------------
# folding and fuzzy matching (shared by region, category and field matching)
# --------------------------------------------------------------------------

_LAT_DIGRAPHS = (
    ("shch", "ш"), ("dzh", "дж"), ("sch", "ш"), ("zh", "ж"), ("sh", "ш"), ("ch", "ч"),
    ("kh", "х"), ("ts", "ц"), ("yu", "ю"), ("ya", "я"), ("yo", "е"),
)
_LAT_SINGLE = {
    "a": "а", "b": "б", "c": "к", "d": "д", "e": "е", "f": "ф", "g": "г", "h": "х",
    "i": "и", "j": "ж", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п",
    "q": "к", "r": "р", "s": "с", "t": "т", "u": "у", "v": "в", "w": "в", "x": "кс",
    "y": "и", "z": "з",
    # Kyrgyz / Turkish / Uzbek Latin and accented letters
    "ö": "о", "ü": "у", "ñ": "н", "ş": "ш", "ç": "ч", "ğ": "г", "ı": "и", "é": "е",
    "è": "е", "á": "а", "à": "а", "í": "и", "ó": "о", "ú": "у", "ä": "а", "ə": "а",
}
_CYR_FOLD = str.maketrans({
    "ё": "е", "э": "е", "ү": "у", "ө": "о", "ң": "н", "ӊ": "н", "й": "и", "ы": "и",
    "і": "и", "ї": "и", "ь": None, "ъ": None, "щ": "ш", "һ": "х", "қ": "к", "ғ": "г",
    "ұ": "у", "ә": "а", "ў": "у", "ґ": "г", "є": "е",
})


def _fold(text: str) -> str:
    """One spelling for all the ways a word is typed (script, ү/у, ы/и, case)."""
    s = unicodedata.normalize("NFKC", text).lower()
    s = _FORMAT_RE.sub("", s).translate(_DASHES)
    out: List[str] = []
    i, n = 0, len(s)
    while i < n:
        ch = s[i]
        if "a" <= ch <= "z":
            for digraph, rep in _LAT_DIGRAPHS:
                if s.startswith(digraph, i):
                    out.append(rep)
                    i += len(digraph)
                    break
            else:
                out.append(_LAT_SINGLE[ch])
                i += 1
        else:
            out.append(_LAT_SINGLE.get(ch, ch))
            i += 1
    return "".join(out).translate(_CYR_FOLD)


_COMPOUND_RE = re.compile(r"[а-я]+(?:-[а-я]+)*")


def _distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (a swap of neighbours costs 1), capped at limit+1."""
    if a == b:
        return 0
    la, lb = len(a), len(b)
    if abs(la - lb) > limit:
        return limit + 1
    prev2: List[int] = []
    prev = list(range(lb + 1))
    for i in range(1, la + 1):
        cur = [i] + [0] * lb
        ca = a[i - 1]
        best = i
        for j in range(1, lb + 1):
            cost = 0 if ca == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
            if v < best:
                best = v
        if best > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[lb]


def _tolerance(length: int) -> int:
    """Edits allowed for a known word: none below 4 letters, 1 from 4, 2 from 8."""
    if length >= 8:
        return 2
    if length >= 4:
        return 1
    return 0


# Case, possessive, plural and personal endings of Kyrgyz, and Russian case / adjective
# endings, in folded spelling.  Stripped (up to twice) so "Бишкекте", "Ысык-Көлдө",
# "Чуйской", "айлыгымды" reach their stem.
_SUFFIXES: Tuple[str, ...] = tuple(sorted({
    # Kyrgyz: locative, ablative, dative, genitive, accusative
    "да", "де", "та", "те", "до", "то",
    "дан", "ден", "тан", "тен", "дон", "тон", "нан", "нен", "нон",
    "га", "ге", "ка", "ке", "го", "ко",
    "дин", "тин", "дун", "тун", "нин", "нун",
    "ди", "ти", "ду", "ту", "ни", "ну",
    "нда", "нде", "ндо", "ндан", "нден", "ндон",
    # Kyrgyz: possessive, plural, predicative ("-мын"), "-дагы"
    "им", "ум", "м", "ибиз", "убуз", "иниз", "унуз", "си", "су", "и", "у",
    "лар", "лер", "лор", "дар", "дер", "дор", "тар", "тер", "тор",
    "мин", "мун", "даги", "деги", "таги", "теги", "догу", "тогу",
    # Russian: nouns
    "а", "я", "ю", "е", "ом", "ем", "ои", "еи", "ии", "ам", "ям", "ами", "ями",
    "ах", "ях", "ов", "ев", "ию", "ия", "ие",
    # Russian: adjectives ("Чуйская область", "Ошской")
    "ая", "яя", "ую", "юю", "ое", "ее", "ие", "ого", "его", "ому", "ему",
    "ская", "скои", "скую", "ском", "скии", "ское", "ские", "ского", "скои",
}, key=len, reverse=True))


@lru_cache(maxsize=4096)
def _forms(token: str) -> FrozenSet[str]:
    """The token and the stems left after removing one or two known endings."""
    forms = {token}
    frontier = [token]
    for _ in range(2):
        found: List[str] = []
        for f in frontier:
            for suf in _SUFFIXES:
                if len(f) - len(suf) >= 2 and f.endswith(suf):
                    stem = f[: -len(suf)]
                    if stem not in forms:
                        forms.add(stem)
                        found.append(stem)
        frontier = found
    return frozenset(forms)


class _Lexicon:
    """Keywords of a closed set of codes, matched on folded text.

    A key spec is a word or phrase (any script); ``*`` at the end makes it a stem that
    only has to start a word, ``!`` at the start forbids fuzzy matching (short or
    collision-prone words).  Phrases match the same number of consecutive words, or one
    word that spells them joined ("Иссыккуль" = "Иссык-Куль").  Hits covered by a longer
    hit are dropped, so a ``_ignore`` phrase can shield a word ("үй-бүлө" hides "үй").
    """

    def __init__(self, table: Dict[str, Iterable[str]], blocklist: Iterable[str] = ()):
        self.exact: Dict[str, Set[Tuple[str, int]]] = {}
        self.prefix: Dict[str, Set[Tuple[str, int]]] = {}
        self.fuzzy: Dict[int, List[Tuple[str, str, int]]] = {}
        self.max_words = 1
        for code, specs in table.items():
            for spec in specs:
                allow_fuzzy = not spec.startswith("!")
                spec = spec.lstrip("!")
                is_prefix = spec.endswith("*")
                spec = spec.rstrip("*")
                parts = [p for c in _COMPOUND_RE.findall(_fold(spec)) for p in c.split("-")]
                if not parts:
                    raise ValueError("empty key %r" % spec)
                joined = "".join(parts)
                entry = (code, len(parts))
                self.max_words = max(self.max_words, len(parts))
                if is_prefix:
                    self.prefix.setdefault(joined, set()).add(entry)
                else:
                    self.exact.setdefault(joined, set()).add(entry)
                    if allow_fuzzy and _tolerance(len(joined)):
                        self.fuzzy.setdefault(len(joined), []).append((joined, code, len(parts)))
        self.prefix_lengths = sorted({len(k) for k in self.prefix})
        self.blocklist = frozenset(_fold(w) for w in blocklist)

    def _candidates(self, parts: List[str], compounds: List[Tuple[int, int]]):
        """(string, first part, end part, number of words) for every n-gram and form."""
        for i in range(len(parts)):
            for n in range(1, self.max_words + 1):
                if i + n > len(parts):
                    break
                head = "".join(parts[i:i + n - 1])
                for form in _forms(parts[i + n - 1]):
                    yield head + form, i, i + n, n
        for start, end in compounds:
            joined = "".join(parts[start:end])
            for form in _forms(joined):
                yield form, start, end, 1

    def find(self, parts: List[str], compounds: List[Tuple[int, int]]) -> Set[str]:
        """Codes named in the words; exact hits first, fuzzy ones only for the rest."""
        cands = list(self._candidates(parts, compounds))
        hits: List[Tuple[int, int, str]] = []
        for s, a, b, n in cands:
            for code, words in self.exact.get(s, ()):
                if n == 1 or words == n:
                    hits.append((a, b, code))
            for length in self.prefix_lengths:
                if length > len(s):
                    break
                for code, words in self.prefix.get(s[:length], ()):
                    if n == 1 or words == n:
                        hits.append((a, b, code))
        hits = [h for h in hits
                if not any(o[0] <= h[0] and h[1] <= o[1] and o[1] - o[0] > h[1] - h[0]
                           for o in hits)]
        covered = {p for a, b, _ in hits for p in range(a, b)}
        codes = {code for _, _, code in hits}
        for s, a, b, n in cands:
            if len(s) < 4 or s in self.blocklist:
                continue
            if any(p in covered or parts[p] in self.blocklist for p in range(a, b)):
                continue
            for length in range(len(s) - 2, len(s) + 3):
                for key, code, words in self.fuzzy.get(length, ()):
                    if n != 1 and words != n:
                        continue
                    tol = _tolerance(len(key))
                    if abs(len(key) - len(s)) <= tol and _distance(s, key, tol) <= tol:
                        codes.add(code)
        codes.discard("_ignore")
        return codes


def _words(text: str, max_chars: int, max_words: int):
    """Folded words of a short answer, or None when the text is too long to be one."""
    if not _is_str(text) or len(text) > max_chars:
        return None
    folded = _fold(text)
    parts: List[str] = []
    compounds: List[Tuple[int, int]] = []
    for comp in _COMPOUND_RE.findall(folded):
        sub = comp.split("-")
        if len(sub) > 1:
            compounds.append((len(parts), len(parts) + len(sub)))
        parts.extend(sub)
    if len(parts) > max_words:
        return None
    return parts, compounds


def _code_in(text: str, codes: Iterable[str]) -> Optional[str]:
    """A button payload: the code itself ("jalal_abad", "/issyk_kul", "Osh_City")."""
    key = _ZERO_WIDTH_RE.sub("", text).strip().lower().lstrip("/")
    return key if key in codes else None


# Ordinary words that happen to be one edit away from a keyword: never fuzzy-matched.
_COMMON_WORDS = (
    "туура", "эмес", "бара", "алар", "кала", "сала", "жана", "талаш", "барын", "баары",
    "башкы", "забота", "бирок", "азыр", "ошол", "ошондо", "кайда", "кантип", "мага", "сага",
    "жерде", "жакта", "деле", "дагы", "менин", "сенин", "анын", "болот", "жатат", "тура",
    "город", "шаар", "район", "облус", "область", "нету", "есть", "было", "были", "живу",
    "жашайм", "работаю", "иштейм", "тоже", "очень", "когда", "кого", "меня", "мене",
)

# --------------------------------------------------------------------------
# phone
# --------------------------------------------------------------------------

_PHONE_ALLOWED = frozenset("0123456789 +-().")
_KG_FIRST_DIGITS = frozenset("235789")  # 2x/5x/7x/8x/9x mobile, 3x landlines (312 Bishkek)


def _kg(national: str) -> Optional[str]:
    if len(national) == 9 and national[0] in _KG_FIRST_DIGITS:
        return "+996" + national
    return None


def normalize_phone(text: str) -> Optional[str]:
    """A callable number in E.164 (``+996XXXXXXXXX`` for Kyrgyzstan), or None.

    Kyrgyz numbers arrive in every local habit (``0555 12 34 56``, ``555123456``,
    ``996555…``, ``+996 (555) 12-34-56``, the old ``8 0555…`` trunk form), so they are
    normalised; foreign numbers need their ``+``/``00`` country code, except the Russian /
    Kazakh ``8 9xx…`` / ``7 9xx…`` forms migrants commonly give.  Letters, emoji and
    stray symbols are rejected rather than guessed around: staff must be able to call back.
    """
    if not _is_str(text) or len(text) > 60:
        return None
    s = _FORMAT_RE.sub("", unicodedata.normalize("NFKC", text)).translate(_DASHES).strip()
    if not s or any(ch not in _PHONE_ALLOWED for ch in s):
        return None
    if s.count("+") > 1 or ("+" in s and not s.startswith("+")):
        return None
    opens, closes = s.count("("), s.count(")")
    if opens != closes or opens > 1 or (opens and s.index("(") > s.index(")")):
        return None
    digits = "".join(ch for ch in s if ch.isdigit())
    if s.startswith("+"):
        intl = digits
    elif digits.startswith("00"):
        intl = digits[2:]
    else:
        n = len(digits)
        if n == 9:
            return _kg(digits)
        if n == 10 and digits[0] == "0":
            return _kg(digits[1:])
        if n == 12 and digits.startswith("996"):
            return _kg(digits[3:])
        if n == 13 and digits.startswith("9960"):
            return _kg(digits[4:])
        if n == 11 and digits.startswith("80"):
            return _kg(digits[2:])          # "8 0555 …": old long-distance prefix
        if n == 11 and digits[0] == "8" and digits[1] in "34789":
            return "+7" + digits[1:]        # Russian/Kazakh domestic "8 912 …"
        if n == 11 and digits[0] == "7":
            return "+" + digits             # "7 912 …", as Telegram contacts give it
        return None
    if intl.startswith("996"):
        national = intl[3:]
        if len(national) == 10 and national[0] == "0":
            national = national[1:]         # "+996 0555 …": trunk zero kept by habit
        return _kg(national)
    if not intl or intl[0] == "0" or not 8 <= len(intl) <= 15:
        return None
    if intl[0] == "7" and len(intl) != 11:
        return None                         # +7 numbers always have 10 digits after 7
    return "+" + intl


# --------------------------------------------------------------------------
# full name
# --------------------------------------------------------------------------

_NAME_HYPHENS = str.maketrans({"\u2010": "-", "\u2011": "-"})
_NAME_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'"})


def _script(ch: str) -> Optional[str]:
    """'cyr' or 'lat' for a letter of those scripts, 'other' for other letters."""
    if not ch.isalpha():
        return None
    o = ord(ch)
    if 0x400 <= o <= 0x52F or 0x1C80 <= o <= 0x1C8F or 0x2DE0 <= o <= 0x2DFF \
            or 0xA640 <= o <= 0xA69F:
        return "cyr"
    if o < 0x80 or 0xC0 <= o <= 0x24F or 0x1E00 <= o <= 0x1EFF:
        return "lat"
    return "other"


def _name_word_ok(word: str) -> bool:
    if not word or word[0] in "-'" or word[-1] in "-'" or "--" in word or "''" in word \
            or "-'" in word or "'-" in word:
        return False
    scripts = set()
    for ch in word:
        if ch in "-'":
            continue
        sc = _script(ch)
        if sc not in ("cyr", "lat"):
            return False
        scripts.add(sc)
    return len(scripts) == 1


def check_full_name(text: str) -> Tuple[Optional[str], Optional[str]]:
    """(cleaned name, None) or (None, "format" | "length").

    An appeal without a real name may be left unconsidered (FACTS §2), so the name must
    look like one: 2–5 words of Cyrillic or Latin letters with inner hyphens/apostrophes.
    A word mixing Cyrillic and Latin ("Аsанов") is a typo or a spoof and is refused, as
    are digits, symbols and invisible controls (markup or SQL never passes this test).
    """
    if not _is_str(text):
        return None, "format"
    s = unicodedata.normalize("NFC", _ZERO_WIDTH_RE.sub("", text))
    s = " ".join(s.split())
    if not s:
        return None, "length"
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in s):
        return None, "format"
    if not 3 <= len(s) <= 100:
        return None, "length"
    words = s.translate(_NAME_HYPHENS).translate(_NAME_APOSTROPHES).split(" ")
    if not 2 <= len(words) <= 5 or not all(_name_word_ok(w) for w in words):
        return None, "format"
    return " ".join(words), None


# --------------------------------------------------------------------------
# region
# --------------------------------------------------------------------------

_REGION_LEXICON = _Lexicon({
    "bishkek": ("Бишкек", "Bishkek", "Фрунзе", "столица"),
    "_osh": ("!Ош",),
    "osh_region": ("Кара-Суу", "Өзгөн", "Узген", "Ноокат", "!Алай", "Чоң-Алай", "Араван",
                   "Кара-Кулжа", "Гүлчө", "Гульча"),
    "batken": ("Баткен", "Кызыл-Кыя", "Сүлүктү", "Сулюкта", "Исфана", "Лейлек", "Кадамжай"),
    "chui": ("!Чүй", "Chuy", "Токмок", "Токмак", "Кара-Балта", "Кемин", "Сокулук",
             "Аламүдүн", "Аламедин", "Ысык-Ата", "Жайыл", "Москва району"),
    "jalal_abad": ("Жалал-Абад", "Джалал-Абад", "Djalal-Abad", "Таш-Көмүр", "Майлуу-Суу",
                   "Токтогул", "Базар-Коргон", "Ноокен", "Сузак", "!Аксы", "Кербен",
                   "Ала-Бука", "Чаткал"),
    "issyk_kul": ("Ысык-Көл", "Иссык-Куль", "Issyk-Kul", "Каракол", "Балыкчы", "Чолпон-Ата",
                  "!Түп", "Жети-Өгүз", "Пржевальск"),
    "naryn": ("Нарын", "Кочкор", "Ат-Башы", "Жумгал", "Ак-Талаа"),
    "talas": ("Талас", "Кара-Буура", "Бакай-Ата", "Кызыл-Адыр"),
    "abroad": ("abroad", "чет өлкө", "чет эл", "за рубеж", "зарубеж*", "за границ*",
               "заграниц*", "Росси*", "Орусия*", "Russia", "Москва", "Moscow",
               "Санкт-Петербург", "Питер", "Екатеринбург", "Новосибирск", "Казахстан",
               "Казакстан", "Алматы", "Алма-Ата", "Турция", "Түркия", "Turkey", "Стамбул",
               "Корея", "Korea", "!США", "Америка", "!USA", "Германия", "Европа", "Дубай",
               "!ОАЭ", "Англия", "Великобритания", "Узбекистан", "Өзбекстан", "Таджикистан",
               "Тажикстан", "Китай"),
}, blocklist=_COMMON_WORDS)


def match_region(text: str) -> Optional[str]:
    """The region code named in a short answer, or None if none or several are named.

    "Ош" alone is the city (what people mean when they say it); it is the oblast only
    with "облусу"/"область"/"Ошская" or a district of the oblast.  Regional centres and
    districts count for their oblast; foreign countries and cities count as ``abroad``.
    """
    if not _is_str(text):
        return None
    code = _code_in(text, REGIONS)
    if code:
        return code
    found = _words(text, 150, 12)
    if not found:
        return None
    parts, compounds = found
    codes = _REGION_LEXICON.find(parts, compounds)
    if "_osh" in codes:
        codes.discard("_osh")
        oblast = any(p.startswith(("облус", "област", "регион", "ошск")) or p == "обл"
                     for p in parts)
        city = any(p.startswith(("шаар", "город")) or p in ("г", "гор") for p in parts)
        if oblast or "osh_region" in codes:
            codes.add("osh_region")
        elif city or not codes:
            codes.add("osh_city")
        else:
            return None
    return codes.pop() if len(codes) == 1 else None


# --------------------------------------------------------------------------
# category
# --------------------------------------------------------------------------

_CATEGORY_LEXICON = _Lexicon({
    "labour": ("эмгек", "эмгек*", "айлык", "айлык*", "айлыг*", "маяна*", "зарплата",
               "зарплат*", "работа", "работ*", "!труд", "трудов*", "уволи*", "уволь*",
               "увольнение", "жумуш", "жумуш*", "!иш", "иш акы", "labour", "labor",
               "salary", "!job", "!work"),
    "social_protection": ("пенсия", "пенси*", "жөлөкпул", "жөлөкпул*", "жөлөк пул",
                          "пособие", "пособи*", "социал*", "соцфонд*", "!соц", "льгот*",
                          "майып*", "инвалид*", "pension"),
    "health": ("ден соолук", "ден соолук*", "ден соолуг*", "больница", "больниц*", "врач",
               "врач*", "доктор", "доктор*", "дарыгер", "дарыгер*", "оорукана", "оорукана*",
               "медицина", "медицин*", "медик*", "лечени*", "здоровье", "здоров*",
               "поликлиник*", "госпитал*", "здравоохранени*", "оору*", "health", "hospital"),
    "law_enforcement": ("милиция", "милици*", "полиция", "полици*", "police",
                        "прокуратура", "прокурат*", "прокурор*", "!ГКНБ", "!МВД", "!ИИМ",
                        "укук коргоо*", "правоохран*", "задерж*", "арест*", "камак*",
                        "следовател*", "следстви*", "тергөө*", "участков*", "изолятор*",
                        "!ИВС", "!СИЗО", "пытк*", "кыйноо*"),
    "courts": ("!сот", "!суд", "судья", "!судьи", "!судье", "!судью", "!судей", "судеб*",
               "арбитраж*", "приговор*", "!өкүм", "апелляц*", "кассац*", "court", "courts"),
    "housing_land": ("!жер", "!үй", "үй-жай", "квартира", "квартир*", "земля", "земл*",
                     "земельн*", "жилье", "жилья", "жилищ*", "!дом", "батир*", "турак жай*",
                     "снос*", "выселен*", "выселя*", "коммунал*", "!участок", "housing",
                     "!land"),
    "children": ("!бала", "балдар*", "бөбөк*", "!дети", "!детей", "!детям", "!детьми",
                 "!детях", "детск*", "ребен*", "несовершеннолет*", "жетим*", "сирот*",
                 "children", "!child"),
    "discrimination": ("басмырлоо", "басмырл*", "дискриминация", "дискрими*", "стигм*",
                       "кемсин*", "кемсит*", "discrimination"),
    "violence": ("зордук", "зордук*", "зомбулук*", "насилие", "насили*", "избил*",
                 "избива*", "изнасил*", "!побои", "побоев", "угрож*", "коркут*",
                 "violence"),
    "migration": ("мигрант", "мигрант*", "миграция", "миграц*", "эмигр*", "иммигр*",
                  "депорт*", "выдвор*", "патент*", "migration", "migrant"),
    "documents": ("паспорт", "паспорт*", "ID карта", "!айди", "!ID", "прописка", "прописк*",
                  "каттоо", "каттоо*", "каттал*", "регистрация", "регистрац*", "документ",
                  "документ*", "свидетельств*", "күбөлүк*", "гражданств*", "жарандык*",
                  "жарандыг*", "загранпаспорт*", "documents"),
    "other": ("башка", "другое", "!другой", "!иное", "прочее", "other"),
    "_ignore": ("үй-бүлө", "үй бүлө*"),
}, blocklist=_COMMON_WORDS)


def _match_one(text, codes, lexicon, max_chars: int, max_words: int) -> Optional[str]:
    """The code itself, or the single code the words name; None when none or several."""
    if not _is_str(text):
        return None
    code = _code_in(text, codes)
    if code:
        return code
    found = _words(text, max_chars, max_words)
    if not found:
        return None
    matched = lexicon.find(*found)
    return matched.pop() if len(matched) == 1 else None


def match_category(text: str) -> Optional[str]:
    """The category code a short answer names, or None if none or several do.

    Keywords in Kyrgyz (with or without ү ө ң, or in Latin letters) and Russian, with
    their endings and small misspellings.  An answer touching two categories ("ребенку
    не дают пособие") is left to the buttons rather than guessed.
    """
    return _match_one(text, CATEGORIES, _CATEGORY_LEXICON, 200, 20)


# --------------------------------------------------------------------------
# incident date
# --------------------------------------------------------------------------

_MONTH_STEMS = (
    ("январ", 1), ("феврал", 2), ("март", 3), ("апрел", 4), ("маи", 5), ("июн", 6),
    ("июл", 7), ("август", 8), ("сентябр", 9), ("октябр", 10), ("ноябр", 11),
    ("декабр", 12),
)
_MONTH_WORDS = {
    "янв": 1, "фев": 2, "мар": 3, "апр": 4, "мая": 5, "мае": 5, "маю": 5, "авг": 8,
    "сен": 9, "сент": 9, "окт": 10, "ноя": 11, "нояб": 11, "дек": 12,
}
# Traditional Kyrgyz month names (folded): Үчтүн айы … Бештин айы.
_KY_MONTHS = (
    (r"учтун\s+аи[а-я]*", 1), (r"бирдин\s+аи[а-я]*", 2), (r"жалган\s+куран[а-я]*", 3),
    (r"чин\s+куран[а-я]*", 4), (r"бугу(?:\s+аи[а-я]*)?(?![а-я])", 5),
    (r"кулжа(?:\s+аи[а-я]*)?(?![а-я])", 6), (r"теке(?:\s+аи[а-я]*)?(?![а-я])", 7),
    (r"баш\s+оона[а-я]*", 8), (r"аяк\s+оона[а-я]*", 9), (r"тогуздун\s+аи[а-я]*", 10),
    (r"жетинин\s+аи[а-я]*", 11), (r"бештин\s+аи[а-я]*", 12),
)
_KY_MONTH_RES = tuple((re.compile(r"(?<![а-я])" + p), m) for p, m in _KY_MONTHS)
_MONTH_TOKEN = ("январ", "феврал", "март", "апрел", "маи", "июн", "июл", "август",
                "сентябр", "октябр", "ноябр", "декабр")
# Words that may surround a date: "г.", "года", "жылы", "жылдын", "числа", "күнү", "от" …
_DATE_FILLERS = frozenset({
    "г", "гг", "год", "года", "ж", "жил", "жили", "жилдин", "жилга", "в", "во", "от", "с",
    "на", "числа", "число", "кун", "куну",
})
_RELATIVE = {
    "бугун": 0, "сегодня": 0, "тодаи": 0,
    "кечее": 1, "кече": 1, "вчера": 1, "иестердаи": 1,
    "позавчера": 2, "буруугуну": 2, "мурдаги куну": 2, "мурунку куну": 2,
    "бурунку куну": 2,
    "завтра": -1, "ертен": -1,
}
_YEAR_WORD_RE = re.compile(r"(?<=[0-9])\s*-?\s*(?:гг|года|год|г|жилдин|жили|жил|ж)\.?(?![а-я])")
_DMY_RE = re.compile(r"([0-9]{1,2})\s*([./-])\s*([0-9]{1,2})\s*\2\s*([0-9]{4}|[0-9]{2})")
_DMY_SPACE_RE = re.compile(r"([0-9]{1,2}) ([0-9]{1,2}) ([0-9]{4})")
_YMD_RE = re.compile(r"([0-9]{4})\s*([./-])\s*([0-9]{1,2})\s*\2\s*([0-9]{1,2})")
_MY_RE = re.compile(r"([0-9]{1,2})\s*[./-]\s*([0-9]{4})")
_YM_RE = re.compile(r"([0-9]{4})\s*[./-]\s*([0-9]{1,2})")
_DM_RE = re.compile(r"([0-9]{1,2})\s*[./]\s*([0-9]{1,2})")
_AGO_RE = re.compile(r"([0-9]{1,5})\s*(?:ден|дня|днеи|кун)\s+(?:назад|мурун|мурда|илгери)")
_DATE_TOKEN_RE = re.compile(r"[0-9]+|[а-я]+")


def _make_date(year: int, month: int, day: int) -> Optional[date]:
    if year < 1900:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _recent(month: int, day: int, today: date) -> Optional[date]:
    """A day and month without a year: the latest such date not after today."""
    d = _make_date(today.year, month, day)
    if d is None or d > today:
        d = _make_date(today.year - 1, month, day)
    return d


def _month_of(token: str) -> Optional[int]:
    if token in _MONTH_WORDS:
        return _MONTH_WORDS[token]
    for stem, month in _MONTH_STEMS:
        if token.startswith(stem):
            return month
    return None


def _parse_date(s: str, today: date) -> Optional[date]:
    m = _AGO_RE.fullmatch(s)
    if m:
        days = int(m.group(1))
        return today - timedelta(days=days) if days <= 36600 else None
    s = _YEAR_WORD_RE.sub("", s).strip().strip(".").strip()
    m = _DMY_RE.fullmatch(s)
    if m:
        year = int(m.group(4))
        if len(m.group(4)) == 2:
            year += 2000
        return _make_date(year, int(m.group(3)), int(m.group(1)))
    m = _DMY_SPACE_RE.fullmatch(s)
    if m:
        return _make_date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    m = _YMD_RE.fullmatch(s)
    if m:
        return _make_date(int(m.group(1)), int(m.group(3)), int(m.group(4)))
    m = _MY_RE.fullmatch(s)
    if m:
        return _make_date(int(m.group(2)), int(m.group(1)), 1)
    m = _YM_RE.fullmatch(s)
    if m:
        return _make_date(int(m.group(1)), int(m.group(2)), 1)
    m = _DM_RE.fullmatch(s)
    if m:
        return _recent(int(m.group(2)), int(m.group(1)), today)
    for regex, month in _KY_MONTH_RES:
        s = regex.sub(" %s " % _MONTH_TOKEN[month - 1], s)
    tokens = _DATE_TOKEN_RE.findall(s)
    if not tokens:
        return None
    if not any(t.isdigit() for t in tokens):
        hits = set()
        for i, t in enumerate(tokens):
            if t in _RELATIVE:
                hits.add(_RELATIVE[t])
            if i + 1 < len(tokens) and t + " " + tokens[i + 1] in _RELATIVE:
                hits.add(_RELATIVE[t + " " + tokens[i + 1]])
        if len(hits) == 1 and len(tokens) <= 4:
            return today - timedelta(days=hits.pop())
        return None
    month = day = year = None
    for t in tokens:
        if t.isdigit():
            if len(t) == 4 and year is None:
                year = int(t)
            elif len(t) <= 2 and day is None:
                day = int(t)
            else:
                return None
        elif t in _DATE_FILLERS:
            continue
        else:
            mo = _month_of(t)
            if mo is None or month is not None:
                return None
            month = mo
    if month is None:
        return None
    if day is None:
        return _make_date(year, month, 1) if year is not None else None
    if year is None:
        return _recent(month, day, today)
    return _make_date(year, month, day)


def parse_incident_date(text: str, today: date) -> Tuple[Optional[date], Optional[str]]:
    """(date, None), or (None, "invalid" | "future").

    Accepts numeric dates (``12.03.2026``, ``12/03/2026``, ``2026-03-12``, ``12.03.26``),
    a month (``03.2026`` → its first day: people often remember only the month), month
    names in Russian and Kyrgyz (``12 марта 2026``, ``2026-жылдын 12-марты``), and
    today / yesterday / the day before in both languages.  A date without a year is the
    latest such day not after today.  The date of a violation cannot lie in the future.
    """
    if isinstance(today, datetime):
        today = today.date()
    if not _is_str(text) or len(text) > 100:
        return None, "invalid"
    s = " ".join(_fold(_CONTROL_RE.sub(" ", text)).split())
    d = _parse_date(s, today) if s else None
    if d is None:
        return None, "invalid"
    if d > today:
        return None, "future"
    return d, None


def is_late(incident: date, today: date) -> bool:
    """True when the incident is strictly more than one year before today.

    The Ombudsman takes appeals within one year (FACTS §2); later ones are still
    accepted but flagged.  A year before 29 February is 28 February of the year before.
    """
    if isinstance(today, datetime):
        today = today.date()
    if isinstance(incident, datetime):
        incident = incident.date()
    try:
        year_ago = today.replace(year=today.year - 1)
    except ValueError:
        year_ago = today.replace(year=today.year - 1, day=28)
    return incident < year_ago


# --------------------------------------------------------------------------
# description and respondent
# --------------------------------------------------------------------------

_DESCRIPTION_MIN, _DESCRIPTION_MAX, _DESCRIPTION_MIN_LETTERS = 20, 4000, 10
_BLANK_LINES_RE = re.compile(r"\n{3,}")


def check_description(text: str) -> Tuple[Optional[str], Optional[str]]:
    """(cleaned text, None) or (None, "too_short" | "too_long").

    The substance of the matter is what staff act on, so the text is kept as written
    (newlines and tabs included); only invisible and control characters go, runs of
    spaces shrink to one and more than one blank line in a row to one.  At least 20
    characters and 10 letters: emoji or punctuation alone say nothing.
    """
    if not _is_str(text):
        return None, "too_short"
    s = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    s = s.replace("\u2029", "\n")
    s = _CONTROL_RE.sub("", _FORMAT_RE.sub("", s))
    s = unicodedata.normalize("NFC", s)
    s = _HSPACE_RE.sub(" ", s)
    s = "\n".join(line.strip(" ") for line in s.split("\n"))
    s = _BLANK_LINES_RE.sub("\n\n", s).strip()
    if len(s) > _DESCRIPTION_MAX:
        return None, "too_long"
    if len(s) < _DESCRIPTION_MIN or sum(ch.isalpha() for ch in s) < _DESCRIPTION_MIN_LETTERS:
        return None, "too_short"
    return s, None


def check_respondent(text: str) -> Tuple[Optional[str], Optional[str]]:
    """(cleaned text, None) or (None, "invalid").

    Names the state body or official appealed against ("ИИМ", "Ош шаардык мэриясы"), so
    it is one line of 2–300 characters with at least two letters.  It is free text and is
    stored as data: markup or SQL in it is kept verbatim, never interpreted.
    """
    if not _is_str(text):
        return None, "invalid"
    s = _CONTROL_RE.sub(" ", _FORMAT_RE.sub("", text))
    s = " ".join(unicodedata.normalize("NFC", s).split())
    if not 2 <= len(s) <= 300 or sum(ch.isalpha() for ch in s) < 2:
        return None, "invalid"
    return s, None


# --------------------------------------------------------------------------
# appeal reference
# --------------------------------------------------------------------------

_REF_LETTERS = str.maketrans({"А": "A", "а": "A", "К": "K", "к": "K", "a": "A", "k": "K"})
_REF_RE = re.compile(
    r"(?<!\w)AK[\s\-_./#№:]{0,3}([0-9]{4})[\s\-_./]{0,3}([0-9]{1,6})(?![0-9A-Za-z])"
)


def normalize_reference(text: str) -> Optional[str]:
    """The canonical ``AK-YYYY-NNNNNN`` found in a message, or None.

    People retype references loosely (Cyrillic "АК", lower case, spaces, no zero padding:
    "ак 2026 42"); all of those mean one appeal.  Two different references in one message
    are ambiguous and give None.
    """
    if not _is_str(text) or len(text) > 4000:
        return None
    s = _FORMAT_RE.sub("", unicodedata.normalize("NFKC", text)).translate(_DASHES)
    s = s.translate(_REF_LETTERS)
    found = set()
    for m in _REF_RE.finditer(s):
        year, number = int(m.group(1)), int(m.group(2))
        if 2000 <= year <= 2099 and number > 0:
            found.add("AK-%04d-%06d" % (year, number))
    return found.pop() if len(found) == 1 else None


# --------------------------------------------------------------------------
# field to correct at the confirmation step
# --------------------------------------------------------------------------

_FIELD_LEXICON = _Lexicon({
    "full_name": ("!аты", "аты-жөн*", "!ФИО", "фамилия", "фамили*", "отчество", "отчеств*",
                  "!имя", "!имени", "исим*", "name"),
    "phone": ("телефон", "телефон*", "!тел", "номер", "номер*", "байланыш*", "контакт*",
              "мобил*", "сотов*", "phone"),
    "region": ("регион", "регион*", "область", "област*", "облус", "облус*", "!обл",
               "район*", "аймак*", "шаар*", "город*", "жаша*", "адрес", "адрес*", "дарек*",
               "жительств*", "прожива*", "region"),
    "category": ("категория", "категори*", "!тема", "!темы", "!тему", "тематик*", "рубрик*",
                 "маселе*", "сфера", "category"),
    "respondent": ("!кимге", "!кимди", "на кого", "ответчик", "ответчик*", "орган",
                   "орган*", "жалуюсь", "мекеме*", "учрежден*", "ведомств*", "должностн*",
                   "чиновник*", "жоопкер*", "кызматкер*", "respondent"),
    "incident_date": ("дата", "дата*", "!дату", "!кун", "качан", "качан*", "!когда", "число*",
                      "убакыт*", "убакт*", "время", "!времени", "date"),
    "description": ("описание", "описани*", "сүрөттөмө", "сүрөттөм*", "эмне болгон*",
                    "текст", "текст*", "!суть", "баянда*", "мазмун*", "подробн*",
                    "что случил*", "случил*", "произош*", "окуя*", "description"),
}, blocklist=_COMMON_WORDS)


def match_field(text: str) -> Optional[str]:
    """The slot the user wants to correct, or None if none (or several) is named.

    At the read-back the user says what is wrong in their own words ("номер телефона
    неправильный", "атымды оңдойм") or taps a button whose payload is the slot name.
    """
    return _match_one(text, FIELDS, _FIELD_LEXICON, 150, 12)
