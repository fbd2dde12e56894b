"""Free-form fields: phone, full name, description, respondent, and the appeal reference."""

from __future__ import annotations

import re
import unicodedata
from typing import Optional

from core.appeal import format_reference
from core.validation.keywords import ADDRESS_MARKERS, KNOWN_SETTLEMENTS, NO_ADDRESS
from core.validation.text import (
    COMPOUND_RE,
    CONTROL_RE,
    DASHES,
    FORMAT_RE,
    HSPACE_RE,
    ZERO_WIDTH_RE,
    fold,
    is_str,
)

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
    if not is_str(text) or len(text) > 60:
        return None
    s = FORMAT_RE.sub("", unicodedata.normalize("NFKC", text)).translate(DASHES).strip()
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
            return _kg(digits[2:])  # "8 0555 …": old long-distance prefix
        if n == 11 and digits[0] == "8" and digits[1] in "34789":
            return "+7" + digits[1:]  # Russian/Kazakh domestic "8 912 …"
        if n == 11 and digits[0] == "7":
            return "+" + digits  # "7 912 …", as Telegram contacts give it
        return None
    if intl.startswith("996"):
        national = intl[3:]
        if len(national) == 10 and national[0] == "0":
            national = national[1:]  # "+996 0555 …": trunk zero kept by habit
        return _kg(national)
    if not intl or intl[0] == "0" or not 8 <= len(intl) <= 15:
        return None
    if intl[0] == "7" and len(intl) != 11:
        return None  # +7 numbers always have 10 digits after 7
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
    if 0x400 <= o <= 0x52F or 0x1C80 <= o <= 0x1C8F or 0x2DE0 <= o <= 0x2DFF or 0xA640 <= o <= 0xA69F:
        return "cyr"
    if o < 0x80 or 0xC0 <= o <= 0x24F or 0x1E00 <= o <= 0x1EFF:
        return "lat"
    return "other"


def _name_word_ok(word: str) -> bool:
    if (
        not word
        or word[0] in "-'"
        or word[-1] in "-'"
        or "--" in word
        or "''" in word
        or "-'" in word
        or "'-" in word
    ):
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


def check_full_name(text: str) -> tuple[Optional[str], Optional[str]]:
    """(cleaned name, None) or (None, "format" | "length").

    An appeal without a real name may be left unconsidered (FACTS §2), so the name must
    look like one: 2–5 words of Cyrillic or Latin letters with inner hyphens/apostrophes.
    A word mixing Cyrillic and Latin ("Аsанов") is a typo or a spoof and is refused, as
    are digits, symbols and invisible controls (markup or SQL never passes this test).
    """
    if not is_str(text):
        return None, "format"
    s = unicodedata.normalize("NFC", ZERO_WIDTH_RE.sub("", text))
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


_DESCRIPTION_MIN, _DESCRIPTION_MAX, _DESCRIPTION_MIN_LETTERS = 20, 4000, 10
_BLANK_LINES_RE = re.compile(r"\n{3,}")


def check_description(text: str) -> tuple[Optional[str], Optional[str]]:
    """(cleaned text, None) or (None, "too_short" | "too_long").

    The substance of the matter is what staff act on, so the text is kept as written
    (newlines and tabs included); only invisible and control characters go, runs of
    spaces shrink to one and more than one blank line in a row to one.  At least 20
    characters and 10 letters: emoji or punctuation alone say nothing.
    """
    if not is_str(text):
        return None, "too_short"
    s = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    s = s.replace("\u2029", "\n")
    s = CONTROL_RE.sub("", FORMAT_RE.sub("", s))
    s = unicodedata.normalize("NFC", s)
    s = HSPACE_RE.sub(" ", s)
    s = "\n".join(line.strip(" ") for line in s.split("\n"))
    s = _BLANK_LINES_RE.sub("\n\n", s).strip()
    if len(s) > _DESCRIPTION_MAX:
        return None, "too_long"
    if len(s) < _DESCRIPTION_MIN or sum(ch.isalpha() for ch in s) < _DESCRIPTION_MIN_LETTERS:
        return None, "too_short"
    return s, None


def check_respondent(text: str) -> tuple[Optional[str], Optional[str]]:
    """(cleaned text, None) or (None, "invalid").

    Names the state body or official appealed against ("ИИМ", "Ош шаардык мэриясы"), so
    it is one line of 2–300 characters with at least two letters.  It is free text and is
    stored as data: markup or SQL in it is kept verbatim, never interpreted.
    """
    if not is_str(text):
        return None, "invalid"
    s = CONTROL_RE.sub(" ", FORMAT_RE.sub("", text))
    s = " ".join(unicodedata.normalize("NFC", s).split())
    if not 2 <= len(s) <= 300 or sum(ch.isalpha() for ch in s) < 2:
        return None, "invalid"
    return s, None


# --------------------------------------------------------------------------
# address
# --------------------------------------------------------------------------

_ADDRESS_MIN, _ADDRESS_MAX = 5, 300
_EMAIL_RE = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w@-])"
)
_ADDRESS_TOKEN_RE = re.compile(r"[а-я]+(?:[-/][а-я]+)*|[0-9]+")
# A one-letter marker counts only abbreviated ("г.", "с.", "ш."): "с" alone is a preposition.
_ABBREVIATION_RE = re.compile(r"(?<![а-я0-9])([а-я])\.")


def _address_tokens(text: str) -> list[str]:
    return _ADDRESS_TOKEN_RE.findall(fold(text))


_MARKERS = frozenset(t for w in ADDRESS_MARKERS for t in [" ".join(_address_tokens(w))] if t)
_SETTLEMENTS = frozenset(m.group() for w in KNOWN_SETTLEMENTS for m in COMPOUND_RE.finditer(fold(w)))
_NO_ADDRESS = frozenset(" ".join(_address_tokens(w)) for w in NO_ADDRESS)


def _is_email(s: str) -> bool:
    m = _EMAIL_RE.fullmatch(s)
    return bool(m) and ".." not in s


def check_address(text: str) -> tuple[Optional[str], Optional[str]]:
    """(cleaned address, None) or (None, "invalid").

    Where the written answer reaches the applicant (FACTS §2: an electronic appeal
    without an address may be left unconsidered): an e-mail address, or a postal
    address naming at least a settlement, 5–300 characters on one line.  A settlement is
    told by a marker word in any language or script ("г.", "шаары", "айылы", "с.",
    "мкр", "ул.", "көчөсү", "району", "sh.", "ayil" …) or by a well-known place name
    ("Бишкек, Ленина 5").  "нет", "123", "asdf" and other non-answers do not.  Free text is stored as
    data: markup or SQL in it is kept verbatim, never interpreted.
    """
    if not is_str(text):
        return None, "invalid"
    s = CONTROL_RE.sub(" ", FORMAT_RE.sub("", text))
    s = " ".join(unicodedata.normalize("NFC", s).translate(DASHES).split())
    if not _ADDRESS_MIN <= len(s) <= _ADDRESS_MAX:
        return None, "invalid"
    if _is_email(s):
        return s, None
    tokens = _address_tokens(s)
    words = [t for t in tokens if not t.isdigit()]
    if sum(ch.isalpha() for ch in s) < 3 or not words:
        return None, "invalid"
    if " ".join(tokens) in _NO_ADDRESS:
        return None, "invalid"
    if _EMAIL_RE.search(s):
        return s, None
    folded = fold(s)
    abbreviated = set(_ABBREVIATION_RE.findall(folded))
    if any(t in _MARKERS and (len(t) > 1 or t in abbreviated) for t in tokens):
        return s, None
    if any(t in _SETTLEMENTS for t in words):
        return s, None
    # "ш." / "г." glued to a word ("г.Ош") splits into its own token above; compounds
    # like "Жаңы-Жер" count by their parts too.
    parts = {p for t in words for p in t.split("-")}
    if parts & _SETTLEMENTS:
        return s, None
    return None, "invalid"


# --------------------------------------------------------------------------
# appeal reference
# --------------------------------------------------------------------------

_REF_LETTERS = str.maketrans({"А": "A", "а": "A", "К": "K", "к": "K", "a": "A", "k": "K"})
_REF_RE = re.compile(r"(?<!\w)AK[\s\-_./#№:]{0,3}([0-9]{4})[\s\-_./]{0,3}([0-9]{1,6})(?![0-9A-Za-z])")


def normalize_reference(text: str) -> Optional[str]:
    """The canonical ``AK-YYYY-NNNNNN`` found in a message, or None.

    People retype references loosely (Cyrillic "АК", lower case, spaces, no zero padding:
    "ак 2026 42"); all of those mean one appeal.  Two different references in one message
    are ambiguous and give None.
    """
    if not is_str(text) or len(text) > 4000:
        return None
    s = FORMAT_RE.sub("", unicodedata.normalize("NFKC", text)).translate(DASHES)
    s = s.translate(_REF_LETTERS)
    found = set()
    for m in _REF_RE.finditer(s):
        year, number = int(m.group(1)), int(m.group(2))
        if 2000 <= year <= 2099 and number > 0:
            found.add(format_reference(year, number))
    return found.pop() if len(found) == 1 else None
