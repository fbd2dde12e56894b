"""The date of the incident, as people type it in Kyrgyz and Russian."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Optional

from core.validation.keywords import DATE_FILLERS, DATE_NUMBER_WORDS, DATE_RELATIVE_MONTHS
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
# "5 дней назад", "3 күн мурун", "неделю назад", "эки жума мурун", "2 месяца назад"
_AGO_RE = re.compile(
    r"(?:(?:примерно|около|где то|болжол менен)\s+)?"
    r"(?:([0-9]{1,5}|[а-я]+)\s*-?\s*)?"
    r"(ден|дня|днеи|кун|недел[а-я]*|жума|месяц[а-я]*|мес|аи)\s+"
    r"(?:назад|мурун|мурда|илгери|артта)"
)
_SINGULAR_UNITS = frozenset({"ден", "неделю", "неделя", "месяц", "кун", "жума", "аи"})
_UNIT_DAYS = {"ден": 1, "дня": 1, "днеи": 1, "кун": 1, "жума": 7}
_RELATIVE_MONTH_FILLERS = frozenset({"в", "во", "на", "примерно", "где", "то"})
_DATE_TOKEN_RE = re.compile(r"[0-9]+|[а-я]+")


#: How exact a date is: a day, or only a month (stored as its first day).
DAY, MONTH = "day", "month"
Parsed = tuple[date, str]


def _day(d: Optional[date]) -> Optional[Parsed]:
    return (d, DAY) if d is not None else None


def _month(d: Optional[date]) -> Optional[Parsed]:
    return (d, MONTH) if d is not None else None


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


def _months_back(today: date, months: int) -> Optional[date]:
    """The first day of the month ``months`` before today's month."""
    if not -1200 <= months <= 1200:
        return None
    index = today.year * 12 + today.month - 1 - months
    return _make_date(index // 12, index % 12 + 1, 1)


def _recent_month(month: int, today: date) -> Optional[date]:
    """A month without a year: its first day in the latest such month not in the future."""
    d = _make_date(today.year, month, 1)
    return d if d is not None and d <= today else _make_date(today.year - 1, month, 1)


def _ago(m: re.Match, today: date) -> Optional[Parsed]:
    number, unit = m.group(1), m.group(2)
    if number is None:
        if unit not in _SINGULAR_UNITS:
            return None  # "месяцев назад": how many?
        count = 1
    elif number.isdigit():
        count = int(number)
    else:
        count = next((v for k, v in DATE_NUMBER_WORDS.items() if number.startswith(k)), None)
        if count is None:
            return None
    if unit.startswith("месяц") or unit in ("мес", "аи"):
        d = _months_back(today, count)
        return (d, MONTH) if d is not None else None
    days = count * (7 if unit.startswith("недел") else _UNIT_DAYS.get(unit, 1))
    return (today - timedelta(days=days), DAY) if days <= 36600 else None


def _relative_month(s: str, today: date) -> Optional[Parsed]:
    words = [w for w in _DATE_TOKEN_RE.findall(s) if w not in _RELATIVE_MONTH_FILLERS]
    months = DATE_RELATIVE_MONTHS.get(" ".join(words))
    if months is None:
        return None
    d = _months_back(today, months)
    return (d, MONTH) if d is not None else None


def _parse_date(s: str, today: date) -> Optional[Parsed]:
    m = _AGO_RE.fullmatch(s)
    if m:
        return _ago(m, today)
    found = _relative_month(s, today)
    if found:
        return found
    s = _YEAR_WORD_RE.sub("", s).strip().strip(".").strip()
    m = _DMY_RE.fullmatch(s)
    if m:
        year = int(m.group(4))
        if len(m.group(4)) == 2:
            year += 2000
        return _day(_make_date(year, int(m.group(3)), int(m.group(1))))
    m = _DMY_SPACE_RE.fullmatch(s)
    if m:
        return _day(_make_date(int(m.group(3)), int(m.group(2)), int(m.group(1))))
    m = _YMD_RE.fullmatch(s)
    if m:
        return _day(_make_date(int(m.group(1)), int(m.group(3)), int(m.group(4))))
    m = _MY_RE.fullmatch(s)
    if m:
        return _month(_make_date(int(m.group(2)), int(m.group(1)), 1))
    m = _YM_RE.fullmatch(s)
    if m:
        return _month(_make_date(int(m.group(1)), int(m.group(2)), 1))
    m = _DM_RE.fullmatch(s)
    if m:
        return _day(_recent(int(m.group(2)), int(m.group(1)), today))
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
            return today - timedelta(days=hits.pop()), DAY
        month = None
        for t in tokens:
            if t in DATE_FILLERS:
                continue
            mo = _month_of(t)
            if mo is None or month is not None:
                return None
            month = mo
        return _month(_recent_month(month, today)) if month is not None else None
    month = day = year = None
    for t in tokens:
        if t.isdigit():
            if len(t) == 4 and year is None:
                year = int(t)
            elif len(t) <= 2 and day is None:
                day = int(t)
            else:
                return None
        elif t in DATE_FILLERS:
            continue
        else:
            mo = _month_of(t)
            if mo is None or month is not None:
                return None
            month = mo
    if month is None:
        return None
    if day is None:
        return _month(_make_date(year, month, 1) if year is not None else _recent_month(month, today))
    if year is None:
        return _day(_recent(month, day, today))
    return _day(_make_date(year, month, day))


def read_incident_date(text: str, today: date) -> tuple[Optional[date], Optional[str], Optional[str]]:
    """(date, "day" | "month", None), or (None, None, "invalid" | "future").

    Accepts numeric dates (``12.03.2026``, ``12/03/2026``, ``2026-03-12``, ``12.03.26``),
    a month (``03.2026``, ``март 2026``, ``в марте``, ``март айында``, ``мартта``: people
    often remember only the month; stored as its first day with precision ``"month"``),
    the month before or this month (``в прошлом месяце``, ``өткөн айда``), month names in
    Russian and Kyrgyz (``12 марта 2026``, ``2026-жылдын 12-марты``), today / yesterday /
    the day before, and N days, weeks or months ago (``5 дней назад``, ``3 күн мурун``,
    ``неделю назад``, ``эки жума мурун``) in both languages.  A date or a month without
    a year is the latest one not after today.  The date of a violation cannot lie in the
    future.
    """
    if isinstance(today, datetime):
        today = today.date()
    if not is_str(text) or len(text) > 100:
        return None, None, "invalid"
    s = " ".join(fold(CONTROL_RE.sub(" ", text)).split())
    found = _parse_date(s, today) if s else None
    if found is None:
        return None, None, "invalid"
    d, precision = found
    if d > today:
        return None, None, "future"
    return d, precision, None


def parse_incident_date(text: str, today: date) -> tuple[Optional[date], Optional[str]]:
    """(date, None), or (None, "invalid" | "future"): :func:`read_incident_date` without
    the precision."""
    d, _precision, error = read_incident_date(text, today)
    return d, error


def last_day(value: date, precision: Optional[str]) -> date:
    """The latest day ``value`` may mean: the month's last day for a month, else the day.

    The late rule reads a month generously: "03.2025" is late only once all of March 2025
    lies more than a year back.
    """
    if precision != MONTH:
        return value
    following = _make_date(value.year + value.month // 12, value.month % 12 + 1, 1)
    return following - timedelta(days=1) if following else value


def format_incident_date(value: object, precision: Optional[str] = DAY) -> str:
    """The date as the summary reads it back: ``12.03.2026``, or ``03.2026`` for a month.

    ``value`` is a ``date`` or an ISO string (what the slot and the database hold);
    anything else comes back as it is, as text.
    """
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            return value
    if not isinstance(value, date):
        return "" if value is None else str(value)
    if precision == MONTH:
        return f"{value.month:02d}.{value.year:04d}"
    return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"
