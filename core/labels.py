"""Labels of the appeal's codes and the Telegram texts sent after filing, in Kyrgyz and Russian.

The labels of statuses, regions and categories are those the assistant says: the
``utter_status_*``, ``utter_region_*`` and ``utter_category_*`` responses of
``domain/labels.yml`` (one definition for the bot, the staff console and the notifier).

The status news promises the citizen no number of days (FACTS.md §2: whether a legal
answer period binds the Ombudsman is not verified); it points to the 115 hotline.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Optional

from core.language import DEFAULT_LANGUAGE, LANGUAGES

LABELS_FILE = Path(__file__).resolve().parent.parent / "domain" / "labels.yml"
GROUPS = ("status", "region", "category")

#: What Telegram carries after filing: status news to the citizen, announcements to staff.
NEWS = {
    "ky": {
        "status": "Кайрылуу {reference}: {status}.",
        "note": "Кызматкердин билдирүүсү: {note}",
        "footer": "Суроолоруңуз болсо, Акыйкатчынын 115 ишеним телефонуна чалыңыз.",
        "announce": "Жаңы кайрылуу {reference}. Категориясы: {category}.",
    },
    "ru": {
        "status": "Обращение {reference}: {status}.",
        "note": "Сообщение от сотрудника: {note}",
        "footer": "Если есть вопросы, позвоните на горячую линию Акыйкатчы (Омбудсмена) 115.",
        "announce": "Новое обращение {reference}. Категория: {category}.",
    },
}


def _language(language: str) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


@functools.lru_cache(maxsize=1)
def labels() -> dict[tuple[str, str, str], str]:
    """{(language, group, code): label} from the responses of domain/labels.yml."""
    import yaml  # local import: core stays importable without reading files

    with open(LABELS_FILE, encoding="utf-8") as handle:
        responses = (yaml.safe_load(handle) or {}).get("responses") or {}
    out: dict[tuple[str, str, str], str] = {}
    for name, variants in responses.items():
        for group in GROUPS:
            prefix = f"utter_{group}_"
            if not name.startswith(prefix):
                continue
            for variant in variants or []:
                for condition in variant.get("condition") or []:
                    if condition.get("name") == "language" and condition.get("value") in LANGUAGES:
                        out[(condition["value"], group, name[len(prefix) :])] = variant["text"]
    return out


def label(language: str, group: str, code: Optional[str]) -> Optional[str]:
    """The label of ``code`` (a status, region or category); None when there is none."""
    if not code:
        return None
    return labels().get((_language(language), group, code))


def status_news(language: str, reference: str, status: str, note: Optional[str]) -> str:
    """The citizen's Telegram message: reference, the status label, the staff note."""
    texts = NEWS[_language(language)]
    lines = [texts["status"].format(reference=reference, status=label(language, "status", status) or status)]
    if note:
        lines.append(texts["note"].format(note=note))
    lines.append(texts["footer"])
    return "\n".join(lines)


def announcement(language: str, reference: str, category: Optional[str]) -> str:
    """A new appeal for the staff chat: its reference and category, never personal data."""
    shown = label(language, "category", category) or category or "-"
    return NEWS[_language(language)]["announce"].format(reference=reference, category=shown)
