"""The date of the incident, as people type it in Kyrgyz and Russian."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Optional

from core.validation.text import CONTROL_RE, fold, is_str

_MONTH_STEMS = (
    ("январ", 1),
    ("феврал", 2),
    ("март", 3),
    ("апрел", 4),
    ("маи", 5),
    ("июн", 6),
    ("июл", 7),
    ("август", 8),
    ("сентябр", 9),
    ("октябр", 10),
    ("ноябр", 11),
    ("декабр", 12),
)
_MONTH_WORDS = {
    "янв": 1,
    "фев": 2,
    "мар": 3,
    "апр": 4,
    "мая": 5,
    "мае": 5,
    "маю": 5,
    "авг": 8,
    "сен": 9,
    "сент": 9,
    "окт": 10,
    "ноя": 11,
    "нояб": 11,
    "дек": 12,
}
# Traditional Kyrgyz month names (folded): Үчтүн айы … Бештин айы.
_KY_MONTHS = (
    (r"учтун\s+аи[а-я]*", 1),
    (r"бирдин\s+аи[а-я]*", 2),
    (r"жалган\s+куран[а-я]*", 3),
    (r"чин\s+куран[а-я]*", 4),
    (r"бугу(?:\s+аи[а-я]*)?(?![а-я])", 5),
    (r"кулжа(?:\s+аи[а-я]*)?(?![а-я])", 6),
    (r"теке(?:\s+аи[а-я]*)?(?![а-я])", 7),
    (r"баш\s+оона[а-я]*", 8),
    (r"аяк\s+оона[а-я]*", 9),
    (r"тогуздун\s+аи[а-я]*", 10),
    (r"жетинин\s+аи[а-я]*", 11),
    (r"бештин\s+аи[а-я]*", 12),
)
_KY_MONTH_RES = tuple((re.compile(r"(?<![а-я])" + p), m) for p, m in _KY_MONTHS)
_MONTH_TOKEN = (
    "январ",
    "феврал",
    "март",
    "апрел",
    "маи",
    "июн",
    "июл",
    "август",
    "сентябр",
    "октябр",
    "ноябр",
    "декабр",
)
# Words that may surround a date: "г.", "года", "жылы", "жылдын", "числа", "күнү", "от" …
_DATE_FILLERS = frozenset(
    {
        "г",
        "гг",
        "год",
        "года",
        "ж",
        "жил",
        "жили",
        "жилдин",
        "жилга",
        "в",
        "во",
        "от",
        "с",
        "на",
        "числа",
        "число",
        "кун",
        "куну",
    }
)
_RELATIVE = {
    "бугун": 0,
    "сегодня": 0,
    "тодаи": 0,
    "кечее": 1,
    "кече": 1,
    "вчера": 1,
    "иестердаи": 1,
    "позавчера": 2,
    "буруугуну": 2,
    "мурдаги куну": 2,
    "мурунку куну": 2,
    "бурунку куну": 2,
    "завтра": -1,
    "ертен": -1,
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
        s = regex.sub(f" {_MONTH_TOKEN[month - 1]} ", s)
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


def parse_incident_date(text: str, today: date) -> tuple[Optional[date], Optional[str]]:
    """(date, None), or (None, "invalid" | "future").

    Accepts numeric dates (``12.03.2026``, ``12/03/2026``, ``2026-03-12``, ``12.03.26``),
    a month (``03.2026`` → its first day: people often remember only the month), month
    names in Russian and Kyrgyz (``12 марта 2026``, ``2026-жылдын 12-марты``), and
    today / yesterday / the day before in both languages.  A date without a year is the
    latest such day not after today.  The date of a violation cannot lie in the future.
    """
    if isinstance(today, datetime):
        today = today.date()
    if not is_str(text) or len(text) > 100:
        return None, "invalid"
    s = " ".join(fold(CONTROL_RE.sub(" ", text)).split())
    d = _parse_date(s, today) if s else None
    if d is None:
        return None, "invalid"
    if d > today:
        return None, "future"
    return d, None
