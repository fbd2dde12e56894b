"""Fuzzy matching of short answers against keyword tables, on the folded spelling.

Small misspellings are absorbed by an edit-distance check whose tolerance grows with the
word's length, and Kyrgyz / Russian endings are stripped before comparing.  Ambiguous
answers give ``None`` so the form shows its buttons again.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Optional

from core.validation.text import COMPOUND_RE, ZERO_WIDTH_RE, fold, is_str


def _distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (a swap of neighbours costs 1), capped at limit+1."""
    if a == b:
        return 0
    la, lb = len(a), len(b)
    if abs(la - lb) > limit:
        return limit + 1
    prev2: list[int] = []
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
_SUFFIXES: tuple[str, ...] = tuple(
    sorted(
        {
            # Kyrgyz: locative, ablative, dative, genitive, accusative
            "да",
            "де",
            "та",
            "те",
            "до",
            "то",
            "дан",
            "ден",
            "тан",
            "тен",
            "дон",
            "тон",
            "нан",
            "нен",
            "нон",
            "га",
            "ге",
            "ка",
            "ке",
            "го",
            "ко",
            "дин",
            "тин",
            "дун",
            "тун",
            "нин",
            "нун",
            "ди",
            "ти",
            "ду",
            "ту",
            "ни",
            "ну",
            "нда",
            "нде",
            "ндо",
            "ндан",
            "нден",
            "ндон",
            # Kyrgyz: possessive, plural, predicative ("-мын"), "-дагы"
            "им",
            "ум",
            "м",
            "ибиз",
            "убуз",
            "иниз",
            "унуз",
            "си",
            "су",
            "и",
            "у",
            "лар",
            "лер",
            "лор",
            "дар",
            "дер",
            "дор",
            "тар",
            "тер",
            "тор",
            "мин",
            "мун",
            "даги",
            "деги",
            "таги",
            "теги",
            "догу",
            "тогу",
            # Russian: nouns
            "а",
            "я",
            "ю",
            "е",
            "ом",
            "ем",
            "ои",
            "еи",
            "ии",
            "ам",
            "ям",
            "ами",
            "ями",
            "ах",
            "ях",
            "ов",
            "ев",
            "ию",
            "ия",
            "ие",
            # Russian: adjectives ("Чуйская область", "Ошской")
            "ая",
            "яя",
            "ую",
            "юю",
            "ое",
            "ее",
            "ого",
            "его",
            "ому",
            "ему",
            "ская",
            "скои",
            "скую",
            "ском",
            "скии",
            "ское",
            "ские",
            "ского",
        },
        key=len,
        reverse=True,
    )
)


@lru_cache(maxsize=4096)
def _forms(token: str) -> frozenset[str]:
    """The token and the stems left after removing one or two known endings."""
    forms = {token}
    frontier = [token]
    for _ in range(2):
        found: list[str] = []
        for f in frontier:
            for suf in _SUFFIXES:
                if len(f) - len(suf) >= 2 and f.endswith(suf):
                    stem = f[: -len(suf)]
                    if stem not in forms:
                        forms.add(stem)
                        found.append(stem)
        frontier = found
    return frozenset(forms)


class Lexicon:
    """Keywords of a closed set of codes, matched on folded text.

    A key spec is a word or phrase (any script); ``*`` at the end makes it a stem that
    only has to start a word, ``!`` at the start forbids fuzzy matching (short or
    collision-prone words).  Phrases match the same number of consecutive words, or one
    word that spells them joined ("Иссыккуль" = "Иссык-Куль").  Hits covered by a longer
    hit are dropped, so a ``_ignore`` phrase can shield a word ("үй-бүлө" hides "үй").
    """

    def __init__(self, table: dict[str, Iterable[str]], blocklist: Iterable[str] = ()):
        self.exact: dict[str, set[tuple[str, int]]] = {}
        self.prefix: dict[str, set[tuple[str, int]]] = {}
        self.fuzzy: dict[int, list[tuple[str, str, int]]] = {}
        self.max_words = 1
        for code, specs in table.items():
            for spec in specs:
                allow_fuzzy = not spec.startswith("!")
                spec = spec.lstrip("!")
                is_prefix = spec.endswith("*")
                spec = spec.rstrip("*")
                parts = [p for c in COMPOUND_RE.findall(fold(spec)) for p in c.split("-")]
                if not parts:
                    raise ValueError(f"empty key {spec!r}")
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
        self.blocklist = frozenset(fold(w) for w in blocklist)

    def _candidates(self, parts: list[str], compounds: list[tuple[int, int]]):
        """(string, first part, end part, number of words) for every n-gram and form."""
        for i in range(len(parts)):
            for n in range(1, self.max_words + 1):
                if i + n > len(parts):
                    break
                head = "".join(parts[i : i + n - 1])
                for form in _forms(parts[i + n - 1]):
                    yield head + form, i, i + n, n
        for start, end in compounds:
            joined = "".join(parts[start:end])
            for form in _forms(joined):
                yield form, start, end, 1

    def find(self, parts: list[str], compounds: list[tuple[int, int]]) -> set[str]:
        """Codes named in the words; exact hits first, fuzzy ones only for the rest."""
        cands = list(self._candidates(parts, compounds))
        hits: list[tuple[int, int, str]] = []
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
        hits = [
            h
            for h in hits
            if not any(o[0] <= h[0] and h[1] <= o[1] and o[1] - o[0] > h[1] - h[0] for o in hits)
        ]
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


def split_words(text: str, max_chars: int, max_words: int):
    """Folded words of a short answer, or None when the text is too long to be one."""
    if not is_str(text) or len(text) > max_chars:
        return None
    folded = fold(text)
    parts: list[str] = []
    compounds: list[tuple[int, int]] = []
    for comp in COMPOUND_RE.findall(folded):
        sub = comp.split("-")
        if len(sub) > 1:
            compounds.append((len(parts), len(parts) + len(sub)))
        parts.extend(sub)
    if len(parts) > max_words:
        return None
    return parts, compounds


def code_in(text: str, codes: Iterable[str]) -> Optional[str]:
    """A button payload: the code itself ("jalal_abad", "/issyk_kul", "Osh_City")."""
    key = ZERO_WIDTH_RE.sub("", text).strip().lower().lstrip("/")
    return key if key in codes else None


def match_one(text, codes, lexicon, max_chars: int, max_words: int) -> Optional[str]:
    """The code itself, or the single code the words name; None when none or several."""
    if not is_str(text):
        return None
    code = code_in(text, codes)
    if code:
        return code
    found = split_words(text, max_chars, max_words)
    if not found:
        return None
    matched = lexicon.find(*found)
    return matched.pop() if len(matched) == 1 else None
