"""Table-driven tests of the appeal form's validation rules (core/validation/).

Every table lists what a user might really type (Kyrgyz with and without ү ө ң, in
Latin letters, Russian) and what the rule must return, exactly.  Each function also gets
the same set of hostile inputs (empty, huge, emoji, SQL, markup, control, invisible and
bidi characters, look-alike letters from another script), and the module is checked to
stay fast on 10,000-character inputs and never to raise on arbitrary strings.
"""

from __future__ import annotations

import random
from datetime import date

import pytest

from core.validation import (
    CATEGORIES,
    FIELDS,
    REGIONS,
    check_address,
    check_description,
    check_full_name,
    check_respondent,
    format_incident_date,
    is_late,
    last_day,
    match_category,
    match_field,
    match_region,
    mentions_self_harm,
    normalize_phone,
    normalize_reference,
    parse_incident_date,
    read_incident_date,
)
from tests import contract

TODAY = date(2026, 11, 28)

EMPTY = ""
BLANK = "   "
HUGE = "a" * 10000
EMOJI = "😀😀😀"
SQL = "'; DROP TABLE appeals;--"
XSS = "<script>alert(1)</script>"
CONTROL = "\x00\x07"
RLO = "\u202e"  # right-to-left override
ZWSP = "\u200b"  # zero-width space


# --------------------------------------------------------------------------
# the public codes agree with the contract
# --------------------------------------------------------------------------


def test_codes_match_contract():
    assert list(REGIONS) == contract.REGIONS
    assert list(CATEGORIES) == contract.CATEGORIES
    assert set(FIELDS) == set(contract.FORM_SLOTS) - {"consent", "confirm"}


# --------------------------------------------------------------------------
# normalize_phone
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        # Kyrgyz numbers, every local habit
        ("0555 12 34 56", "+996555123456"),
        ("0555123456", "+996555123456"),
        ("0555-12-34-56", "+996555123456"),
        ("0555.12.34.56", "+996555123456"),
        ("(0555) 12-34-56", "+996555123456"),
        ("996555123456", "+996555123456"),
        ("+996555123456", "+996555123456"),
        ("+996 555 123 456", "+996555123456"),
        ("+996(555)12-34-56", "+996555123456"),
        ("+996 (555) 12 34 56", "+996555123456"),
        ("00996555123456", "+996555123456"),
        ("555123456", "+996555123456"),
        ("555 12 34 56", "+996555123456"),
        ("  0700 123 456  ", "+996700123456"),
        ("0770123456", "+996770123456"),
        ("0990 12 34 56", "+996990123456"),
        ("0220 12 34 56", "+996220123456"),
        ("0880 123 456", "+996880123456"),
        ("0312 62 12 34", "+996312621234"),  # Bishkek landline
        ("03222 5 12 34", "+996322251234"),  # Osh landline
        ("+996 0555 123 456", "+996555123456"),  # trunk zero kept after the country code
        ("996 0555 123456", "+996555123456"),
        ("8 0555 12 34 56", "+996555123456"),  # old long-distance prefix
        ("8 (0312) 62-12-34", "+996312621234"),
        ("0555\u00a012\u00a034\u00a056", "+996555123456"),  # no-break spaces
        ("０５５５１２３４５６", "+996555123456"),  # full-width digits
        ("0555 12 34 56" + ZWSP, "+996555123456"),
        ("0555–12–34–56", "+996555123456"),  # en dashes
        # other countries: E.164
        ("+7 912 345 67 89", "+79123456789"),
        ("+7 (912) 345-67-89", "+79123456789"),
        ("89123456789", "+79123456789"),  # Russian domestic form
        ("8 912 345 67 89", "+79123456789"),
        ("79123456789", "+79123456789"),  # Telegram contact without "+"
        ("8 701 234 56 78", "+77012345678"),  # Kazakhstan
        ("+90 532 123 45 67", "+905321234567"),
        ("+1 (212) 555-0100", "+12125550100"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+49 30 123456", "+4930123456"),
        ("0082 10 1234 5678", "+821012345678"),
        ("+12345678", "+12345678"),  # 8 digits: the shortest accepted
        ("+123456789012345", "+123456789012345"),  # 15 digits: the longest
    ],
)
def test_normalize_phone_accepts(text, expected):
    assert normalize_phone(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "+996 000000000",  # no Kyrgyz number starts with 0
        "+996 100 123 456",
        "+996 455 123 456",
        "+996 655 123 456",
        "0000000000",
        "0123456789",
        "+996 555 12345",  # 8 digits after 996
        "+9965551234567",  # 10 digits after 996
        "9965551234567",
        "05551234567",  # 11 digits with leading 0
        "055512345",  # 9 digits with leading 0
        "12 34 56",  # local number without area code
        "55512345",
        "+1234567",  # 7 digits
        "+1234567890123456",  # 16 digits
        "+0555123456",
        "+7 912 345 67 8",  # +7 needs exactly 11 digits
        "905321234567",  # foreign number without "+"
        "0555 12 34 56 доб. 2",
        "тел: 0555123456",
        "нол беш беш беш",
        "0555l23456",  # letter l for digit 1
        "0555 12 34 56 +",
        "555+123456",
        "++996555123456",
        "+996 (555 12 34 56",
        "+996 555) 12 34 56",
        "+996 )555( 123456",
        "(0555) (12) 34 56",
        "0555 12 34 56 / 0700 12 34 56",
        "١٢٣٤٥٦٧٨٩",  # Arabic-Indic digits
        "0555_12_34_56",
        "1" * 61,
        "+" + "9" * 100,
    ],
)
def test_normalize_phone_rejects(text):
    assert normalize_phone(text) is None


@pytest.mark.parametrize(
    "text, expected",
    [
        (EMPTY, None),
        (BLANK, None),
        (HUGE, None),
        ("5" * 10000, None),
        (EMOJI, None),
        ("📞 0555 12 34 56", None),
        (SQL, None),
        (XSS, None),
        (CONTROL, None),
        ("0555\x00123456", None),
        (RLO + "0555123456", "+996555123456"),  # invisible controls are dropped …
        ("\u200f0555\u200e123456", "+996555123456"),
        ("0555" + ZWSP + "123456", "+996555123456"),
        ("O555 12 34 56", None),  # … but a Latin O is not a zero
        ("О555 12 34 56", None),  # nor is a Cyrillic О
    ],
)
def test_normalize_phone_hostile(text, expected):
    assert normalize_phone(text) == expected


# --------------------------------------------------------------------------
# check_full_name
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Асанов Асан Асанович", "Асанов Асан Асанович"),
        ("  асанов   асан  ", "асанов асан"),
        ("Асанов\nАсан", "Асанов Асан"),
        ("Асанов\tАсан\tАсанович", "Асанов Асан Асанович"),
        ("Үсөнбаева Гүлнара Төлөнбековна", "Үсөнбаева Гүлнара Төлөнбековна"),
        ("Маңкелдиев Эрмек", "Маңкелдиев Эрмек"),
        ("Абдыкадыр уулу Нурлан", "Абдыкадыр уулу Нурлан"),
        ("Бакыт кызы Айгерим", "Бакыт кызы Айгерим"),
        ("Жапаров Садыр Нургожоевич", "Жапаров Садыр Нургожоевич"),
        ("Ким Ен Су", "Ким Ен Су"),
        ("Ли Ан", "Ли Ан"),
        ("Салтыков-Щедрин Михаил Евграфович", "Салтыков-Щедрин Михаил Евграфович"),
        ("Ёлкин Пётр", "Ёлкин Пётр"),
        ("Asanov Asan", "Asanov Asan"),
        ("Jean-Pierre Dupont", "Jean-Pierre Dupont"),
        ("O'Brien Sean", "O'Brien Sean"),
        ("O’Brien Sean", "O'Brien Sean"),  # typographic apostrophe normalised
        ("Мамат‐уулу Бакыт", "Мамат-уулу Бакыт"),  # Unicode hyphen normalised
        ("Şahin Ayşe", "Şahin Ayşe"),
        ("Асанов Asan", "Асанов Asan"),  # scripts may differ between words
        ("Абдрахманов Азамат Бакытович Кызы Уулу", "Абдрахманов Азамат Бакытович Кызы Уулу"),
        ("А Б", "А Б"),
        ("Асанов Асан" + ZWSP, "Асанов Асан"),
        ("\ufeffАсанов Асан", "Асанов Асан"),
        ("Асанов Аса\u200dн", "Асанов Асан"),
    ],
)
def test_check_full_name_accepts(text, expected):
    assert check_full_name(text) == (expected, None)


@pytest.mark.parametrize(
    "text, error",
    [
        ("Асанов", "format"),  # one word
        ("Асанов-Асанов", "format"),
        ("Асанов Асан Асанович Асан Асан Асан", "format"),  # six words
        ("Асанов 123", "format"),
        ("Асанов Асан1", "format"),
        ("Асанов А.А.", "format"),
        ("Асанов, Асан", "format"),
        ("Асанов_Асан Бек", "format"),
        ("Асанов- Асан", "format"),
        ("-Асанов Асан", "format"),
        ("Асанов--Асан Бек", "format"),
        ("Асанов'' Асан", "format"),
        ("Асанов Асан!", "format"),
        ("Асанов @asan", "format"),
        ("Аsанов Асан", "format"),  # Latin s inside a Cyrillic word
        ("Асанов Aсан", "format"),  # Latin A at the start
        ("Asanоv Asan", "format"),  # Cyrillic о inside a Latin word
        ("Асан-Ali Бек", "format"),  # one hyphenated word, two scripts
        ("Αλέξης Παππάς", "format"),  # Greek
        ("محمد علي", "format"),  # Arabic
        ("王 小明", "format"),
        ("Асанов Асан 😀", "format"),
        ("Z̷a̷l̷g̷o̷ T̷e̷x̷t̷", "format"),  # combining marks
        ("ㅤ ㅤ", "format"),  # Hangul fillers look blank
        ("A", "length"),
        ("Ан", "length"),
        ("Ас" + " Ан" * 20, "format"),  # 21 words, under 100 characters
        ("Асанов " + "А" * 100, "length"),
        ("Асанов " + "Асанович" * 12, "length"),
    ],
)
def test_check_full_name_rejects(text, error):
    assert check_full_name(text) == (None, error)


@pytest.mark.parametrize(
    "text, expected",
    [
        (EMPTY, (None, "length")),
        (BLANK, (None, "length")),
        ("\n\t ", (None, "length")),
        (ZWSP * 5, (None, "length")),
        (HUGE, (None, "length")),
        ("Асанов Асан" + " " * 10000, ("Асанов Асан", None)),
        (EMOJI, (None, "format")),
        (SQL, (None, "format")),
        ("Robert'); DROP TABLE appeals;--", (None, "format")),
        (XSS, (None, "format")),
        ("<b>Асанов</b> Асан", (None, "format")),
        (CONTROL, (None, "format")),
        ("Асанов\x00 Асан", (None, "format")),
        ("Асанов Асан\x07", (None, "format")),
        ("Асанов " + RLO + "насА", (None, "format")),  # bidi override: a spoof
        ("\u2066Асанов Асан\u2069", (None, "format")),  # bidi isolate
    ],
)
def test_check_full_name_hostile(text, expected):
    assert check_full_name(text) == expected


# --------------------------------------------------------------------------
# match_region
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        # the codes themselves (button payloads)
        ("bishkek", "bishkek"),
        ("osh_city", "osh_city"),
        ("Osh_Region", "osh_region"),
        ("/jalal_abad", "jalal_abad"),
        ("issyk_kul", "issyk_kul"),
        # Bishkek
        ("Бишкек", "bishkek"),
        ("бишкекте", "bishkek"),
        ("Бишкектемин", "bishkek"),
        ("г. Бишкек", "bishkek"),
        ("город Бишкек", "bishkek"),
        ("Бишкек шаары", "bishkek"),
        ("Мен Бишкекте жашайм", "bishkek"),
        ("Я живу в Бишкеке", "bishkek"),
        ("Бишкеке", "bishkek"),
        ("Бишкекк", "bishkek"),
        ("Бишкик", "bishkek"),
        ("BISHKEK", "bishkek"),
        # Osh: the city unless the oblast is named
        ("Ош", "osh_city"),
        ("Ош шаары", "osh_city"),
        ("город Ош", "osh_city"),
        ("г.Ош", "osh_city"),
        ("в Оше", "osh_city"),
        ("Оштомун", "osh_city"),
        ("osh", "osh_city"),
        ("Ош облусу", "osh_region"),
        ("Ошская область", "osh_region"),
        ("Ошской обл.", "osh_region"),
        ("osh oblast", "osh_region"),
        ("Ош облусу, Кара-Суу району", "osh_region"),
        ("Ош, Кара-Суу", "osh_region"),
        ("Өзгөн", "osh_region"),
        ("Ноокат району", "osh_region"),
        # the other oblasts and their centres
        ("Чүй", "chui"),
        ("Чуй", "chui"),
        ("Чуйская", "chui"),
        ("Чуйская область", "chui"),
        ("Чүй облусу", "chui"),
        ("Чүйдө", "chui"),
        ("Chuy", "chui"),
        ("Токмок", "chui"),
        ("Кара-Балта", "chui"),
        ("Москва району", "chui"),  # a district of Chui, not the Russian capital
        ("Жалал-Абад", "jalal_abad"),
        ("Джалал-Абад", "jalal_abad"),
        ("жалалабад", "jalal_abad"),
        ("Джалалабад", "jalal_abad"),
        ("Жалал-Абадда", "jalal_abad"),
        ("Джалал-Абадская область", "jalal_abad"),
        ("jalal-abad", "jalal_abad"),
        ("Djalal-Abad", "jalal_abad"),
        ("Ысык-Көл", "issyk_kul"),
        ("Ысык-Кол", "issyk_kul"),
        ("Ысык-Көлдө", "issyk_kul"),
        ("Иссык-Куль", "issyk_kul"),
        ("Иссык-Кульская область", "issyk_kul"),
        ("Иссыкуль", "issyk_kul"),
        ("Иссык куль", "issyk_kul"),
        ("issyk-kul", "issyk_kul"),
        ("Ysyk-Köl", "issyk_kul"),
        ("Каракол", "issyk_kul"),
        ("Балыкчыда", "issyk_kul"),
        ("Нарын", "naryn"),
        ("Нарында", "naryn"),
        ("Нарынская область", "naryn"),
        ("Кочкордо", "naryn"),
        ("Талас", "talas"),
        ("Таласта", "talas"),
        ("Таласская", "talas"),
        ("Баткен", "batken"),
        ("Баткенская обл.", "batken"),
        ("Кызыл-Кыя", "batken"),
        ("Kyzyl-Kiya", "batken"),
        # abroad
        ("abroad", "abroad"),
        ("чет өлкөдө", "abroad"),
        ("чет олкодо", "abroad"),
        ("чет элде", "abroad"),
        ("за рубежом", "abroad"),
        ("за границей", "abroad"),
        ("в России", "abroad"),
        ("Россияда", "abroad"),
        ("Орусияда иштейм", "abroad"),
        ("Москва", "abroad"),
        ("Казакстанда", "abroad"),
        ("Түркияда", "abroad"),
    ],
)
def test_match_region_names(text, expected):
    assert match_region(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Бишкек или Ош",
        "Бишкек, Чуйская область",
        "Ош, Бишкек",
        "Кыргызстан",
        "привет",
        "не знаю",
        "айтпайм",
        "дома",
        "1",
        "Бишкекте эмес, Токмокто",  # two places: ask again
        "Я живу в Бишкеке, работаю в Москве",
        "Бишкек " * 30,  # too long to be an answer
    ],
)
def test_match_region_none(text):
    assert match_region(text) is None


@pytest.mark.parametrize("code", contract.REGIONS)
def test_match_region_every_code(code):
    assert match_region(code) == code
    assert match_region(code.upper()) == code


@pytest.mark.parametrize(
    "text, expected",
    [
        (EMPTY, None),
        (BLANK, None),
        (HUGE, None),
        (EMOJI, None),
        (SQL, None),
        (XSS, None),
        (CONTROL, None),
        ("Бишkек", "bishkek"),  # a Latin k among Cyrillic letters still names the city
        ("Бишкек" + ZWSP, "bishkek"),
        ("Биш" + ZWSP + "кек", "bishkek"),
        (RLO + "кекшиБ", None),
        ("Ош\x00", "osh_city"),
    ],
)
def test_match_region_hostile(text, expected):
    assert match_region(text) == expected


# --------------------------------------------------------------------------
# match_category
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("эмгек", "labour"),
        ("айлык", "labour"),
        ("зарплата", "labour"),
        ("работа", "labour"),
        ("Айлык акымды бербей жатат", "labour"),
        ("Мне не платят зарплату", "labour"),
        ("Меня уволили с работы", "labour"),
        ("жумуштан бошотушту", "labour"),
        ("зарплото", "labour"),
        ("пенсия", "social_protection"),
        ("Пособие", "social_protection"),
        ("жөлөкпул", "social_protection"),
        ("жолокпул", "social_protection"),
        ("жөлөкпулум", "social_protection"),
        ("пенсиямды", "social_protection"),
        ("пенция", "social_protection"),
        ("ден соолук", "health"),
        ("ден-соолук", "health"),
        ("больница", "health"),
        ("врач", "health"),
        ("ооруканада", "health"),
        ("дарыгер", "health"),
        ("милиция", "law_enforcement"),
        ("милицыя", "law_enforcement"),
        ("полиция", "law_enforcement"),
        ("militsiya", "law_enforcement"),
        ("прокуратура", "law_enforcement"),
        ("задержали", "law_enforcement"),
        ("камакка алышты", "law_enforcement"),
        ("сот", "courts"),
        ("суд", "courts"),
        ("сотко", "courts"),
        ("в суде", "courts"),
        ("соттун чечими", "courts"),
        ("судья", "courts"),
        ("жер", "housing_land"),
        ("үй", "housing_land"),
        ("уй", "housing_land"),
        ("квартира", "housing_land"),
        ("земля", "housing_land"),
        ("жер тилкеси", "housing_land"),
        ("земельный участок", "housing_land"),
        ("бала", "children"),
        ("балам", "children"),
        ("балдарым", "children"),
        ("дети", "children"),
        ("Баланын укугу", "children"),
        ("детский сад", "children"),
        ("басмырлоо", "discrimination"),
        ("дискриминация", "discrimination"),
        ("дискриминацыя", "discrimination"),
        ("зордук", "violence"),
        ("насилие", "violence"),
        ("домашнее насилие", "violence"),
        ("үй-бүлөдөгү зордук", "violence"),  # "үй" inside "үй-бүлө" (family) is not housing
        ("мигрант", "migration"),
        ("миграция", "migration"),
        ("Мигранттардын укугу", "migration"),
        ("паспорт", "documents"),
        ("ID-карта", "documents"),
        ("айди карта", "documents"),
        ("прописка", "documents"),
        ("каттоо", "documents"),
        ("паспорт алалбай жатам", "documents"),
        ("башка", "other"),
        ("другое", "other"),
        ("башка маселе", "other"),
        ("labour", "labour"),
        ("social_protection", "social_protection"),
        ("housing_land", "housing_land"),
    ],
)
def test_match_category_words(text, expected):
    assert match_category(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "ребенку не дают пособие",  # children and social protection: ask with buttons
        "зарплату не дают и избили",
        "привет",
        "погода",
        "Бишкек",
        "трудно",
        "забота",
        "не знаю",
        "ок",
    ],
)
def test_match_category_none(text):
    assert match_category(text) is None


@pytest.mark.parametrize("code", contract.CATEGORIES)
def test_match_category_every_code(code):
    assert match_category(code) == code


@pytest.mark.parametrize(
    "text, expected",
    [
        (EMPTY, None),
        (BLANK, None),
        (HUGE, None),
        (EMOJI, None),
        (SQL, None),
        (XSS, None),
        (CONTROL, None),
        ("пенсиa", "social_protection"),  # Latin a at the end
        ("пен" + ZWSP + "сия", "social_protection"),
        (RLO + "яисноп", None),
        ("суд\x00", "courts"),
    ],
)
def test_match_category_hostile(text, expected):
    assert match_category(text) == expected


# --------------------------------------------------------------------------
# parse_incident_date and is_late
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("12.03.2026", date(2026, 3, 12)),
        ("12/03/2026", date(2026, 3, 12)),
        ("12-03-2026", date(2026, 3, 12)),
        ("12 03 2026", date(2026, 3, 12)),
        ("2026-03-12", date(2026, 3, 12)),
        ("2026.03.12", date(2026, 3, 12)),
        ("1.3.2026", date(2026, 3, 1)),
        ("12.03.26", date(2026, 3, 12)),
        ("12.03.2026.", date(2026, 3, 12)),
        ("12.03.2026 г.", date(2026, 3, 12)),
        ("12.03.2026-ж.", date(2026, 3, 12)),
        ("03.2026", date(2026, 3, 1)),
        ("3.2026", date(2026, 3, 1)),
        ("2026-03", date(2026, 3, 1)),
        ("12.03", date(2026, 3, 12)),
        ("29.02.2024", date(2024, 2, 29)),
        ("28.11.2026", TODAY),
        ("28.11.2025", date(2025, 11, 28)),
        ("бүгүн", TODAY),
        ("бугун", TODAY),
        ("Бүгүн", TODAY),
        ("сегодня", TODAY),
        ("кечээ", date(2026, 11, 27)),
        ("кече", date(2026, 11, 27)),
        ("вчера", date(2026, 11, 27)),
        ("вчера вечером", date(2026, 11, 27)),
        ("кечээ кечинде", date(2026, 11, 27)),
        ("позавчера", date(2026, 11, 26)),
        ("мурдагы күнү", date(2026, 11, 26)),
        ("мурдагы куну", date(2026, 11, 26)),
        ("бүрүүгүнү", date(2026, 11, 26)),
        ("3 дня назад", date(2026, 11, 25)),
        ("3 күн мурун", date(2026, 11, 25)),
        ("12 марта 2026", date(2026, 3, 12)),
        ("12 марта 2026 года", date(2026, 3, 12)),
        ("1 января 2026 г.", date(2026, 1, 1)),
        ("12-март 2026", date(2026, 3, 12)),
        ("12-мартта 2026-жылы", date(2026, 3, 12)),
        ("2026-жылдын 12-марты", date(2026, 3, 12)),
        ("5-февраль 2025", date(2025, 2, 5)),
        ("5 мая", date(2026, 5, 5)),
        ("5-майда 2026", date(2026, 5, 5)),
        ("15 сент. 2026", date(2026, 9, 15)),
        ("12 декабря", date(2025, 12, 12)),  # no year: the latest such day
        ("5 ноября", date(2026, 11, 5)),
        ("март 2026", date(2026, 3, 1)),
        ("Жалган куран 2026", date(2026, 3, 1)),  # traditional Kyrgyz month name
        ("5 бугу айы 2026", date(2026, 5, 5)),
        ("１２.０３.２０２６", date(2026, 3, 12)),  # full-width digits
        ("12.03.2026" + ZWSP, date(2026, 3, 12)),
        ("  12.03.2026\n", date(2026, 3, 12)),
    ],
)
def test_parse_incident_date_accepts(text, expected):
    assert parse_incident_date(text, TODAY) == (expected, None)


@pytest.mark.parametrize(
    "text, error",
    [
        ("31.02.2026", "invalid"),
        ("29.02.2026", "invalid"),  # 2026 is not a leap year
        ("31.04.2026", "invalid"),
        ("13.13.2026", "invalid"),
        ("00.01.2026", "invalid"),
        ("12.00.2026", "invalid"),
        ("32 марта 2026", "invalid"),
        ("1899-01-01", "invalid"),
        ("2026", "invalid"),
        ("12 марта 26", "invalid"),
        ("12.03.2026 или 13.03.2026", "invalid"),
        ("вчера или сегодня", "invalid"),
        ("Бүгүн эмес, кечээ", "invalid"),
        ("давно", "invalid"),
        ("эсимде жок", "invalid"),
        ("12:30", "invalid"),
        ("12.03.2026 12.03.2026", "invalid"),
        ("١٢.٠٣.٢٠٢٦", "invalid"),  # Arabic-Indic digits
        ("29.11.2026", "future"),
        ("12.2026", "future"),
        ("2027-01-01", "future"),
        ("1 декабря 2026", "future"),
        ("завтра", "future"),
        ("эртең", "future"),
        ("12.03.99", "future"),  # two-digit years are 20xx
    ],
)
def test_parse_incident_date_rejects(text, error):
    assert parse_incident_date(text, TODAY) == (None, error)


@pytest.mark.parametrize(
    "text, expected",
    [
        (EMPTY, (None, "invalid")),
        (BLANK, (None, "invalid")),
        (HUGE, (None, "invalid")),
        ("1" * 10000, (None, "invalid")),
        ("12.03.2026" + " " * 10000, (None, "invalid")),
        (EMOJI, (None, "invalid")),
        (SQL, (None, "invalid")),
        (XSS, (None, "invalid")),
        (CONTROL, (None, "invalid")),
        ("12.03.2026\x00", (date(2026, 3, 12), None)),
        (RLO + "12.03.2026", (date(2026, 3, 12), None)),
        ("12 мaрта 2026", (date(2026, 3, 12), None)),  # a Latin look-alike a is harmless here
    ],
)
def test_parse_incident_date_hostile(text, expected):
    assert parse_incident_date(text, TODAY) == expected


@pytest.mark.parametrize(
    "incident, today, expected",
    [
        (date(2025, 11, 28), TODAY, False),  # exactly one year: still in time
        (date(2025, 11, 27), TODAY, True),
        (date(2025, 11, 29), TODAY, False),
        (TODAY, TODAY, False),
        (date(2020, 1, 1), TODAY, True),
        (date(2024, 2, 29), date(2025, 2, 28), False),
        (date(2024, 2, 28), date(2025, 2, 28), False),
        (date(2024, 2, 27), date(2025, 2, 28), True),
        (date(2024, 2, 29), date(2025, 3, 1), True),
        (date(2027, 2, 28), date(2028, 2, 29), False),  # a year before 29 Feb is 28 Feb
        (date(2027, 2, 27), date(2028, 2, 29), True),
        (date(2027, 3, 1), date(2028, 2, 29), False),
    ],
)
def test_is_late(incident, today, expected):
    assert is_late(incident, today) is expected


def test_month_only_date_is_late_only_once_the_whole_month_is():
    # Today is 28.11.2026: November 2025 still holds days within the year, October does not.
    incident, precision, error = read_incident_date("11.2025", TODAY)
    assert (incident, precision, error) == (date(2025, 11, 1), "month", None)
    assert is_late(last_day(incident, precision), TODAY) is False
    incident, precision, error = read_incident_date("в октябре 2025", TODAY)
    assert (incident, precision) == (date(2025, 10, 1), "month")
    assert is_late(last_day(incident, precision), TODAY) is True


# --------------------------------------------------------------------------
# read_incident_date: how exact the date is, and the summary's dd.mm.yyyy / mm.yyyy
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected, precision",
    [
        # numeric (CONTRACT.md)
        ("12.03.2026", date(2026, 3, 12), "day"),
        ("2026-03-12", date(2026, 3, 12), "day"),
        ("03.2026", date(2026, 3, 1), "month"),
        ("2026-03", date(2026, 3, 1), "month"),
        ("март 2026", date(2026, 3, 1), "month"),
        ("2025-жылдын мартында", date(2025, 3, 1), "month"),
        ("12-мартта", date(2026, 3, 12), "day"),
        # a month named without a year: the latest such month not in the future
        ("в марте", date(2026, 3, 1), "month"),
        ("В марте", date(2026, 3, 1), "month"),
        ("март", date(2026, 3, 1), "month"),
        ("марта", date(2026, 3, 1), "month"),
        ("март айында", date(2026, 3, 1), "month"),
        ("март айында болгон", date(2026, 3, 1), "month"),
        ("мартта", date(2026, 3, 1), "month"),
        ("февралда", date(2026, 2, 1), "month"),
        ("майда", date(2026, 5, 1), "month"),
        ("в мае", date(2026, 5, 1), "month"),
        ("в феврале", date(2026, 2, 1), "month"),
        ("в начале марта", date(2026, 3, 1), "month"),
        ("примерно в апреле", date(2026, 4, 1), "month"),
        ("mart aiynda", date(2026, 3, 1), "month"),
        ("в ноябре", date(2026, 11, 1), "month"),  # this month: not in the future
        ("в декабре", date(2025, 12, 1), "month"),  # December 2026 is ahead: last year's
        ("декабрда", date(2025, 12, 1), "month"),
        ("Жалган куранда", date(2026, 3, 1), "month"),
        # the month before, this month
        ("в прошлом месяце", date(2026, 10, 1), "month"),
        ("прошлый месяц", date(2026, 10, 1), "month"),
        ("өткөн айда", date(2026, 10, 1), "month"),
        ("откон айда", date(2026, 10, 1), "month"),
        ("мурунку айда", date(2026, 10, 1), "month"),
        ("в этом месяце", date(2026, 11, 1), "month"),
        ("ушул айда", date(2026, 11, 1), "month"),
        # today, yesterday, N days / weeks / months ago
        ("сегодня", TODAY, "day"),
        ("бүгүн", TODAY, "day"),
        ("вчера", date(2026, 11, 27), "day"),
        ("кечээ", date(2026, 11, 27), "day"),
        ("3 күн мурун", date(2026, 11, 25), "day"),
        ("3 кун мурун", date(2026, 11, 25), "day"),
        ("үч күн мурун", date(2026, 11, 25), "day"),
        ("5 дней назад", date(2026, 11, 23), "day"),
        ("1 день назад", date(2026, 11, 27), "day"),
        ("два дня назад", date(2026, 11, 26), "day"),
        ("неделю назад", date(2026, 11, 21), "day"),
        ("2 недели назад", date(2026, 11, 14), "day"),
        ("бир жума мурун", date(2026, 11, 21), "day"),
        ("эки жума мурун", date(2026, 11, 14), "day"),
        ("месяц назад", date(2026, 10, 1), "month"),
        ("3 месяца назад", date(2026, 8, 1), "month"),
        ("бир ай мурун", date(2026, 10, 1), "month"),
        ("эки ай мурун", date(2026, 9, 1), "month"),
        ("14 месяцев назад", date(2025, 9, 1), "month"),
    ],
)
def test_read_incident_date(text, expected, precision):
    assert read_incident_date(text, TODAY) == (expected, precision, None)
    assert parse_incident_date(text, TODAY) == (expected, None)


@pytest.mark.parametrize(
    "text, error",
    [
        ("в следующем месяце", "future"),
        ("келерки айда", "future"),
        ("в декабре 2026", "future"),
        ("декабрь 2026", "future"),
        ("12.2026", "future"),
        ("завтра", "future"),
        ("давно", "invalid"),
        ("в марте или в апреле", "invalid"),
        ("месяцев назад", "invalid"),
        ("много дней назад", "invalid"),
        ("в прошлом году", "invalid"),
        ("былтыр", "invalid"),
        ("100000 дней назад", "invalid"),
    ],
)
def test_read_incident_date_rejects(text, error):
    assert read_incident_date(text, TODAY) == (None, None, error)


@pytest.mark.parametrize(
    "value, precision, expected",
    [
        (date(2026, 3, 12), "day", "12.03.2026"),
        ("2026-03-12", "day", "12.03.2026"),
        ("2026-03-01", "month", "03.2026"),
        (date(2026, 3, 1), "month", "03.2026"),
        ("2026-03-05", None, "05.03.2026"),
        (date(999, 1, 2), "day", "02.01.0999"),
        ("not a date", "day", "not a date"),
        (None, "day", ""),
    ],
)
def test_format_incident_date(value, precision, expected):
    assert format_incident_date(value, precision) == expected


@pytest.mark.parametrize(
    "value, precision, expected",
    [
        (date(2026, 3, 1), "month", date(2026, 3, 31)),
        (date(2024, 2, 1), "month", date(2024, 2, 29)),
        (date(2026, 12, 1), "month", date(2026, 12, 31)),
        (date(2026, 3, 12), "day", date(2026, 3, 12)),
    ],
)
def test_last_day(value, precision, expected):
    assert last_day(value, precision) == expected


# --------------------------------------------------------------------------
# check_description
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Меня уволили с работы и не выплатили зарплату за три месяца.",
            "Меня уволили с работы и не выплатили зарплату за три месяца.",
        ),
        (
            "Жумуштан себепсиз бошотушту, айлык бербей жатат.",
            "Жумуштан себепсиз бошотушту, айлык бербей жатат.",
        ),
        ("  Милиция кызматкери   мени   урду  ", "Милиция кызматкери мени урду"),
        ("Первая строка\nвторая строка", "Первая строка\nвторая строка"),
        ("Первая строка\r\nвторая строка", "Первая строка\nвторая строка"),
        ("Первая строка   \n   вторая строка", "Первая строка\nвторая строка"),
        ("Абзац один\n\n\n\n\nабзац два", "Абзац один\n\nабзац два"),
        ("Колонка\tзначение\tещё текст", "Колонка\tзначение\tещё текст"),
        ("Текст\u00a0\u00a0с\u2003пробелами разными", "Текст с пробелами разными"),
        ("12.03.2026 мне отказали в пенсии 😡", "12.03.2026 мне отказали в пенсии 😡"),
        ("Ровно двадцать симв", None),  # 19 characters
        ("Ровно двадцать симв.", "Ровно двадцать симв."),
        ("a" * 4000, "a" * 4000),
        (SQL, SQL),  # text is data: stored verbatim, never interpreted
        (XSS, XSS),
        ("Балам мектепке\x00 кабыл\x07 алынган жок", "Балам мектепке кабыл алынган жок"),
        ("Үйүмдү " + RLO + "бузуп салышты, жер тилкеси", "Үйүмдү бузуп салышты, жер тилкеси"),
    ],
)
def test_check_description_accepts(text, expected):
    if expected is None:
        assert check_description(text) == (None, "too_short")
    else:
        assert check_description(text) == (expected, None)


@pytest.mark.parametrize(
    "text, error",
    [
        ("Коротко", "too_short"),
        ("Меня избили", "too_short"),
        ("😀" * 30, "too_short"),  # emoji only
        ("." * 30, "too_short"),  # punctuation only
        ("!?!?!?!?!?!?!?!?!?!?!?", "too_short"),
        ("1" * 30, "too_short"),
        ("12.03.2026 12:30 +996555", "too_short"),  # no words
        ("а б в г д е ж з и", "too_short"),  # 17 characters
        ("a" * 4001, "too_long"),
        ("Мен " * 1001, "too_long"),
        ("a" + " " * 5000 + "b" * 30, ("a " + "b" * 30, None)),
    ],
)
def test_check_description_rejects(text, error):
    if isinstance(error, tuple):
        assert check_description(text) == error
    else:
        assert check_description(text) == (None, error)


@pytest.mark.parametrize(
    "text, expected",
    [
        (EMPTY, (None, "too_short")),
        (BLANK, (None, "too_short")),
        ("\n\n\n\t\t", (None, "too_short")),
        (HUGE, (None, "too_long")),
        (EMOJI, (None, "too_short")),
        (CONTROL, (None, "too_short")),
        (CONTROL * 5000, (None, "too_short")),
        (ZWSP * 100, (None, "too_short")),
        ("Aсанов мени жумуштан кууп чыкты", ("Aсанов мени жумуштан кууп чыкты", None)),
    ],
)
def test_check_description_hostile(text, expected):
    assert check_description(text) == expected


# --------------------------------------------------------------------------
# check_respondent
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ИИМ", "ИИМ"),
        ("ГКНБ", "ГКНБ"),
        ("Ак", "Ак"),
        ("Ош шаардык мэриясы", "Ош шаардык мэриясы"),
        (
            "Бишкек шаарынын Биринчи май райондук ички иштер башкармалыгы",
            "Бишкек шаарынын Биринчи май райондук ички иштер башкармалыгы",
        ),
        ("Социалдык фонд", "Социалдык фонд"),
        ("Прокуратура Октябрьского района г. Бишкек", "Прокуратура Октябрьского района г. Бишкек"),
        ("  Прокуратура\nОктябрьского района  ", "Прокуратура Октябрьского района"),
        ("Школа №5, директор", "Школа №5, директор"),
        (
            "УВД Свердловского района, участковый Иванов И.И.",
            "УВД Свердловского района, участковый Иванов И.И.",
        ),
        ("Айыл өкмөтү", "Айыл өкмөтү"),
        ("Ministry of Labour", "Ministry of Labour"),
        ("a" * 300, "a" * 300),
        ("Министерство\u202e труда", "Министерство труда"),
        (SQL, SQL),  # free text, kept as data
        (XSS, XSS),
        ("Аsанов", "Аsанов"),  # mixed scripts are not refused in free text
    ],
)
def test_check_respondent_accepts(text, expected):
    assert check_respondent(text) == (expected, None)


@pytest.mark.parametrize(
    "text",
    [
        "1",
        "12",
        "115",
        "А",
        "а.",
        "№5",
        "?!",
        "a" * 301,
        EMPTY,
        BLANK,
        HUGE,
        EMOJI,
        CONTROL,
        ZWSP * 10,
        RLO,
        "😀 " * 200,
    ],
)
def test_check_respondent_rejects(text):
    assert check_respondent(text) == (None, "invalid")


# --------------------------------------------------------------------------
# normalize_reference
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("AK-2026-000042", "AK-2026-000042"),
        ("ak-2026-000042", "AK-2026-000042"),
        ("АК-2026-000042", "AK-2026-000042"),  # Cyrillic А and К
        ("ак-2026-000042", "AK-2026-000042"),
        ("АK-2026-000042", "AK-2026-000042"),  # Cyrillic А, Latin K
        ("ак 2026 42", "AK-2026-000042"),
        ("AK2026000042", "AK-2026-000042"),
        ("AK 2026/42", "AK-2026-000042"),
        ("ak_2026_000042", "AK-2026-000042"),
        ("AK–2026–000042", "AK-2026-000042"),  # en dashes
        ("AK-2026-999999", "AK-2026-999999"),
        ("AK-2027-1", "AK-2027-000001"),
        ("№ АК-2026-42", "AK-2026-000042"),
        ("(AK-2026-000042)", "AK-2026-000042"),
        ("Менин номерим AK-2026-000042, статусу кандай?", "AK-2026-000042"),
        ("Статус обращения ак-2026-000042 подскажите", "AK-2026-000042"),
        ("AK-2026-000042 и ещё раз AK-2026-000042", "AK-2026-000042"),
        ("ＡＫ－２０２６－００００４２", "AK-2026-000042"),  # full-width
    ],
)
def test_normalize_reference_finds(text, expected):
    assert normalize_reference(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "AK-2026-1234567",  # seven digits
        "AK-2026-0",
        "AK-2026-000000",
        "BAK-2026-000042",
        "AK-26-42",
        "2026-000042",
        "AK-1999-000001",
        "AK-2026",
        "AK-2026-000042 AK-2026-000043",  # two different references
        "как 2026 42",
        "AB-2026-000042",
        "AK-2026-00004X",
        "AK-2026-000042abc",
        "мой номер обращения сорок два",
    ],
)
def test_normalize_reference_none(text):
    assert normalize_reference(text) is None


@pytest.mark.parametrize(
    "text, expected",
    [
        (EMPTY, None),
        (BLANK, None),
        (HUGE, None),
        ("AK-" * 3400, None),
        (EMOJI, None),
        (SQL, None),
        (XSS, None),
        (CONTROL, None),
        ("AK-2026-0000" + ZWSP + "42", "AK-2026-000042"),
        (RLO + "AK-2026-000042", "AK-2026-000042"),
        ("AK-2026-000042'; DROP TABLE appeals;--", "AK-2026-000042"),
        ("<b>AK-2026-000042</b>", "AK-2026-000042"),
    ],
)
def test_normalize_reference_hostile(text, expected):
    assert normalize_reference(text) == expected


# --------------------------------------------------------------------------
# check_address
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("г. Ош, ул. Ленина 12", "г. Ош, ул. Ленина 12"),
        ("Чүй облусу, Сокулук району, Жаңы-Жер айылы", "Чүй облусу, Сокулук району, Жаңы-Жер айылы"),
        ("Чуй облусу, Сокулук району, Жаны-Жер айылы", "Чуй облусу, Сокулук району, Жаны-Жер айылы"),
        ("Бишкек, мкр Асанбай 12-34", "Бишкек, мкр Асанбай 12-34"),
        ("Naryn sh., Lenin 5", "Naryn sh., Lenin 5"),
        ("aibek@mail.kg", "aibek@mail.kg"),
        ("Aibek.Asanov+appeal@gmail.com", "Aibek.Asanov+appeal@gmail.com"),
        ("  aibek@mail.kg \n", "aibek@mail.kg"),
        ("Бишкек", "Бишкек"),
        ("г.Бишкек ул.Киевская 96", "г.Бишкек ул.Киевская 96"),
        ("с. Ак-Суу", "с. Ак-Суу"),
        ("Ош шаары, Ленин көчөсү 5", "Ош шаары, Ленин көчөсү 5"),
        ("Кара-Балта шаары, Ленин көчөсү 12, 5-батир", "Кара-Балта шаары, Ленин көчөсү 12, 5-батир"),
        ("Ысык-Көл облусу, Каракол шаары", "Ысык-Көл облусу, Каракол шаары"),
        ("Жалал-Абад обл., Базар-Коргон р-н, с. Акман", "Жалал-Абад обл., Базар-Коргон р-н, с. Акман"),
        ("Talas, Manas 23", "Talas, Manas 23"),
        ("Manas ayil, Chui oblast", "Manas ayil, Chui oblast"),
        ("Москва, ул. Тверская 1, кв 5", "Москва, ул. Тверская 1, кв 5"),
        ("Кызыл-Суу айылы", "Кызыл-Суу айылы"),
        ("Ленина 12, кв 5", "Ленина 12, кв 5"),  # street, house and flat: accepted
        ("Токтогул 45 дом 3", "Токтогул 45 дом 3"),
        ("Бишкек,   Ахунбаева\t12", "Бишкек, Ахунбаева 12"),
        ("г. Бишкек, ул. Токтогула 1; e-mail: a@b.kg", "г. Бишкек, ул. Токтогула 1; e-mail: a@b.kg"),
    ],
)
def test_check_address_accepts(text, expected):
    assert check_address(text) == (expected, None)


@pytest.mark.parametrize(
    "text",
    [
        "нет",
        "Нет",
        "жок",
        "не знаю",
        "билбейм",
        "дарегим жок",
        "123",
        "12345678",
        "asdf",
        "asdf 123",
        "qwerty",
        "aibek@",
        "@mail.kg",
        "aibek@mail",
        "a@@b.kg",
        "Ош",  # a settlement, but shorter than 5 characters
        "г. О",
        "хорошо",
        "ооба макулмун",
        "Асанов Бакыт",
        "живу с мамой",
        "привет как дела",
        "+996 555 123 456",
        "12.03.2026",
        "Бишкек " * 60,  # over 300 characters
    ],
)
def test_check_address_rejects(text):
    assert check_address(text) == (None, "invalid")


@pytest.mark.parametrize(
    "text, expected",
    [
        (EMPTY, (None, "invalid")),
        (BLANK, (None, "invalid")),
        (HUGE, (None, "invalid")),
        (EMOJI, (None, "invalid")),
        (SQL, (None, "invalid")),
        (XSS, (None, "invalid")),
        (CONTROL, (None, "invalid")),
        (None, (None, "invalid")),
        ("г. Ош," + ZWSP + " ул. Ленина 12", ("г. Ош, ул. Ленина 12", None)),
        (RLO + "Бишкек, ул. Ленина 1", ("Бишкек, ул. Ленина 1", None)),
        ("Бишкек\x00, ул. Ленина 1", ("Бишкек , ул. Ленина 1", None)),
        ("Бишкек, <b>Ленина</b> 1", ("Бишкек, <b>Ленина</b> 1", None)),  # kept as data
    ],
)
def test_check_address_hostile(text, expected):
    assert check_address(text) == expected


# --------------------------------------------------------------------------
# mentions_self_harm: the safety net under faq/emergency
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "я больше не хочу жить",
        "Не хочу жить.",
        "жить не хочется, всё надоело",
        "хочу покончить с собой",
        "думаю о самоубийстве",
        "я порежу себя... режу себя каждый день",
        "Жашагым келбейт",
        "жашагым келбей калды",
        "өзүмдү өлтүрөм",
        "озумду олтуром",
        "өлгүм келет",
        "ne hochu zhit",
        "jashagym kelbeit",
    ],
)
def test_mentions_self_harm(text):
    assert mentions_self_harm(text) is True


@pytest.mark.parametrize(
    "text",
    [
        "да",
        "нет",
        "жок",
        "ооба",
        "хочу жить спокойно, без угроз соседа",
        "мой брат покончил с собой в изоляторе",  # someone else's death: a complaint
        "кайрылуу бергим келет",
        EMPTY,
        HUGE,
        SQL,
        None,
    ],
)
def test_mentions_self_harm_not(text):
    assert mentions_self_harm(text) is False


# --------------------------------------------------------------------------
# match_field
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("номер телефона неправильный", "phone"),
        ("телефон", "phone"),
        ("Телефон номерим туура эмес", "phone"),
        ("тел", "phone"),
        ("телефан", "phone"),
        ("telefon", "phone"),
        ("атымды оңдойм", "full_name"),
        ("атымды ондойм", "full_name"),
        ("аты-жөнүм туура эмес", "full_name"),
        ("аты жону", "full_name"),
        ("ФИО", "full_name"),
        ("Имя неправильное", "full_name"),
        ("фамилия с ошибкой", "full_name"),
        ("регион", "region"),
        ("область", "region"),
        ("облус", "region"),
        ("не тот регион", "region"),
        ("адрес", "address"),
        ("адрес неправильный", "address"),
        ("дарек", "address"),
        ("дарегим туура эмес", "address"),
        ("почтовый адрес", "address"),
        ("e-mail", "address"),
        ("жашаган жери", "region"),
        ("категория", "category"),
        ("категорию", "category"),
        ("тема", "category"),
        ("кимге даттанам", "respondent"),
        ("Кимге даттанганым туура эмес", "respondent"),
        ("орган", "respondent"),
        ("Орган неправильный", "respondent"),
        ("на кого жалуюсь", "respondent"),
        ("ответчик", "respondent"),
        ("Ответчик указан неверно", "respondent"),
        ("kimge", "respondent"),
        ("дата", "incident_date"),
        ("дату", "incident_date"),
        ("дата неправильная", "incident_date"),
        ("күнү", "incident_date"),
        ("качан", "incident_date"),
        ("качан болгонун", "incident_date"),
        ("Число неверное", "incident_date"),
        ("описание", "description"),
        ("описание неполное", "description"),
        ("описанее", "description"),
        ("сүрөттөмө", "description"),
        ("суроттомо", "description"),
        ("эмне болгонун", "description"),
        ("текст", "description"),
    ],
)
def test_match_field_words(text, expected):
    assert match_field(text) == expected


@pytest.mark.parametrize("slot", contract.FORM_SLOTS)
def test_match_field_slot_names(slot):
    expected = None if slot in ("consent", "confirm") else slot
    assert match_field(slot) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Телефон туура, атым туура эмес",  # two fields named: ask which one
        "телефон и имя",
        "всё правильно",
        "ооба",
        "нет",
        "туура эмес",
        "не знаю",
        "Бишкек",
    ],
)
def test_match_field_none(text):
    assert match_field(text) is None


@pytest.mark.parametrize(
    "text, expected",
    [
        (EMPTY, None),
        (BLANK, None),
        (HUGE, None),
        (EMOJI, None),
        (SQL, None),
        (XSS, None),
        (CONTROL, None),
        ("телефoн", "phone"),  # Latin o inside
        ("теле" + ZWSP + "фон", "phone"),
        (RLO + "нофелет", None),
        ("phone\x00", "phone"),
    ],
)
def test_match_field_hostile(text, expected):
    assert match_field(text) == expected


# --------------------------------------------------------------------------
# robustness: speed on long inputs, no exception on any string
# --------------------------------------------------------------------------

ALL_FUNCTIONS = [
    normalize_phone,
    check_full_name,
    match_region,
    match_category,
    lambda t: parse_incident_date(t, TODAY),
    lambda t: read_incident_date(t, TODAY),
    check_address,
    mentions_self_harm,
    check_description,
    check_respondent,
    normalize_reference,
    match_field,
]

LONG_INPUTS = [
    "a" * 10000,
    "1" * 10000,
    "-" * 10000,
    " " * 10000,
    "😀" * 10000,
    ZWSP * 10000,
    "<" * 10000,
    "(" * 10000,
    "+" + "9" * 9999,
    "а-" * 5000,
    "'" * 10000,
    "Бишкек " * 1500,
    "AK-2026-" * 1300,
    "ак 2026 " * 1300,
    "12.03." * 1700,
    ("Асанов Асан " * 1000)[:10000],
]


@pytest.mark.parametrize("text", LONG_INPUTS, ids=range(len(LONG_INPUTS)))
def test_long_inputs_are_rejected_or_bounded(text):
    # 10,000 characters is never a valid name, phone, reference or respondent.
    assert normalize_phone(text) is None
    assert check_full_name(text)[0] is None
    assert check_respondent(text)[0] is None
    assert check_address(text)[0] is None
    description, error = check_description(text)
    assert description is None or len(description) <= 4000


def test_random_words_match_only_known_codes():
    rnd = random.Random(7)
    letters = "абвгдежзиклмнопрстуфхцчшыэюяүөң"
    for _ in range(30):
        words = ["".join(rnd.choice(letters) for _ in range(rnd.randint(3, 9))) for _ in range(20)]
        text = " ".join(words)[:200]
        assert match_region(text) in set(REGIONS) | {None}
        assert match_category(text) in set(CATEGORIES) | {None}
        assert match_field(text) in set(FIELDS) | {None}


def test_never_raises_on_random_strings():
    rnd = random.Random(20261128)
    alphabet = (
        "аеиоуүөңыйАБВГДЕЖЗабвгдAKakxyz0123456789 .-/+()'\"№\n\t\r"
        "\x00\x07\x1f\x7f\u200b\u202e\u2066\ufeff😀\u0301\ud800ㅤ١"
    )
    for _ in range(400):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 80)))
        phone = normalize_phone(text)
        assert phone is None or phone.startswith("+")
        for fn in (check_full_name, check_description, check_respondent, check_address):
            value, error = fn(text)
            assert (value is None) != (error is None)
        for fn, codes in ((match_region, REGIONS), (match_category, CATEGORIES), (match_field, FIELDS)):
            assert fn(text) in codes + (None,)
        when, error = parse_incident_date(text, TODAY)
        assert (when is None) != (error is None)
        when, precision, error = read_incident_date(text, TODAY)
        assert (when is None) == (precision is None) != (error is None)
        assert mentions_self_harm(text) in (True, False)
        ref = normalize_reference(text)
        assert ref is None or len(ref) == len("AK-2026-000042")


def test_results_are_deterministic():
    """Pure functions: the same input gives the same output, call after call."""
    samples = ["Бишкек", "пенсия", "телефон", "0555 12 34 56", "12.03.2026"]
    first = [
        (
            match_region(s),
            match_category(s),
            match_field(s),
            normalize_phone(s),
            parse_incident_date(s, TODAY),
        )
        for s in samples
    ]
    second = [
        (
            match_region(s),
            match_category(s),
            match_field(s),
            normalize_phone(s),
            parse_incident_date(s, TODAY),
        )
        for s in samples
    ]
    assert first == second
