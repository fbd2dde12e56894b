"""Normalising text: invisible characters, controls, dashes, and the folded spelling.

Matching of free text (regions, categories, field names) works on a *folded* spelling:
lower case, Latin transliterated to Cyrillic, Kyrgyz ү ө ң folded to у о н, and a few
letters that people confuse (ы/и/й, э/е, ё/е, ь/ъ dropped) merged.  So "Ысык-Көл",
"Ысык-Кол", "Ysyk-Kol" and "исык кол" all look the same to the matcher.
"""

from __future__ import annotations

import re
import unicodedata

# Invisible characters that copy-paste leaves behind (zero-width space/joiners, LRM/RLM,
# word joiner, BOM, soft hyphen): they carry no text, so they are dropped everywhere.
ZERO_WIDTH_RE = re.compile("[\u00ad\u180e\u200b-\u200f\u2060-\u2064\ufeff]")
# Every format character (category Cf), bidi overrides/isolates included: dropped from
# free text, where keeping them would only let text display differently from what it is.
FORMAT_RE = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)
# C0/C1 controls except tab and newline.
CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Horizontal spaces (tab excluded) that collapse to one ordinary space.
HSPACE_RE = re.compile("[ \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
DASHES = str.maketrans(
    {
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\ufe63": "-",
        "\uff0d": "-",
    }
)


def is_str(value: object) -> bool:
    return isinstance(value, str)


_LAT_DIGRAPHS = (
    ("shch", "ш"),
    ("dzh", "дж"),
    ("sch", "ш"),
    ("zh", "ж"),
    ("sh", "ш"),
    ("ch", "ч"),
    ("kh", "х"),
    ("ts", "ц"),
    ("yu", "ю"),
    ("ya", "я"),
    ("yo", "е"),
)
_LAT_SINGLE = {
    "a": "а",
    "b": "б",
    "c": "к",
    "d": "д",
    "e": "е",
    "f": "ф",
    "g": "г",
    "h": "х",
    "i": "и",
    "j": "ж",
    "k": "к",
    "l": "л",
    "m": "м",
    "n": "н",
    "o": "о",
    "p": "п",
    "q": "к",
    "r": "р",
    "s": "с",
    "t": "т",
    "u": "у",
    "v": "в",
    "w": "в",
    "x": "кс",
    "y": "и",
    "z": "з",
    # Kyrgyz / Turkish / Uzbek Latin and accented letters
    "ö": "о",
    "ü": "у",
    "ñ": "н",
    "ş": "ш",
    "ç": "ч",
    "ğ": "г",
    "ı": "и",
    "é": "е",
    "è": "е",
    "á": "а",
    "à": "а",
    "í": "и",
    "ó": "о",
    "ú": "у",
    "ä": "а",
    "ə": "а",
}
_CYR_FOLD = str.maketrans(
    {
        "ё": "е",
        "э": "е",
        "ү": "у",
        "ө": "о",
        "ң": "н",
        "ӊ": "н",
        "й": "и",
        "ы": "и",
        "і": "и",
        "ї": "и",
        "ь": None,
        "ъ": None,
        "щ": "ш",
        "һ": "х",
        "қ": "к",
        "ғ": "г",
        "ұ": "у",
        "ә": "а",
        "ў": "у",
        "ґ": "г",
        "є": "е",
    }
)


def fold(text: str) -> str:
    """One spelling for all the ways a word is typed (script, ү/у, ы/и, case)."""
    s = unicodedata.normalize("NFKC", text).lower()
    s = FORMAT_RE.sub("", s).translate(DASHES)
    out: list[str] = []
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


COMPOUND_RE = re.compile(r"[а-я]+(?:-[а-я]+)*")
