"""Synthetic appeals for development and the benchmark (never personal data of real people).

``seed(engine, n)`` inserts ``n`` appeals spread over the last 18 months in batches, with
references continuing each year's counter, ~70 % of them filed on Telegram.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from appeals.db import appeals, reference_counters
from core.appeal import CATEGORIES, FILING_TZ, REGIONS, STATUSES, format_reference
from core.language import LANGUAGES

FIRST = [
    "Айбек",
    "Нургуль",
    "Бакыт",
    "Айгерим",
    "Эрлан",
    "Жылдыз",
    "Азамат",
    "Гульнара",
    "Тимур",
    "Мээрим",
    "Сергей",
    "Ольга",
    "Улан",
    "Чолпон",
    "Данияр",
    "Асель",
]
LAST = [
    "Асанов",
    "Токтогулова",
    "Иманалиев",
    "Садыкова",
    "Жумабеков",
    "Осмонова",
    "Петров",
    "Кадыров",
    "Абдыраева",
    "Маматов",
    "Исакова",
    "Турдубаев",
]
TOWNS = ["Бишкек ш.", "Ош ш.", "Нарын ш.", "Каракол ш.", "Талас ш.", "Токмок ш.", "Кара-Балта ш."]
STREETS = ["Манас көч.", "Чүй пр.", "ул. Ленина", "ул. Киевская", "Токтогул көч.", "мкр. Джал"]
BODIES = [
    "Акимиат района",
    "РОВД",
    "Социальный фонд",
    "Мэрия города",
    "Районный суд",
    "Айыл өкмөтү",
    "Управление образования",
    "Больница",
    "ГРС",
    "Прокуратура",
]
TEXTS = [
    "Мне отказали в выплате пособия без объяснения причин, прошу проверить решение.",
    "Айлык акымды үч айдан бери төлөбөй жатышат, жетекчилик жооп бербейт.",
    "Сотрудники полиции задержали меня без составления протокола и не дали позвонить.",
    "Балдар бакчасына кабыл алуудан негизсиз баш тартышты, кайрылуум каралган жок.",
    "В больнице потребовали оплату за лечение, которое должно быть бесплатным по полису.",
    "Жер тилкесин каттоодон өткөрүү боюнча арызым бир жылдан бери каралбай келет.",
]


def seed(engine: Engine, n: int, batch: int = 5000, rng_seed: int = 42) -> int:
    rng = random.Random(rng_seed)
    now = datetime.now(timezone.utc)
    done = 0
    with engine.begin() as conn:
        counters = dict(
            conn.execute(sa.select(reference_counters.c.year, reference_counters.c.last_seq)).all()
        )
    while done < n:
        rows = []
        for _ in range(min(batch, n - done)):
            created = now - timedelta(seconds=rng.randint(0, 540 * 86400))
            year = created.astimezone(FILING_TZ).year
            seq = counters.get(year, 0) + 1
            counters[year] = seq
            incident = created.date() - timedelta(days=rng.randint(0, 500))
            status = rng.choices(STATUSES, weights=[30, 30, 15, 15, 10])[0]
            telegram = rng.random() < 0.7
            conv = (
                str(rng.randint(10_000_000, 2_000_000_000)) if telegram else f"rest-{rng.randint(1, 10**9)}"
            )
            rows.append(
                {
                    "reference": format_reference(year, seq),
                    "year": year,
                    "seq": seq,
                    "status": status,
                    "language": rng.choices(LANGUAGES, weights=[2, 1])[0],
                    "conversation_id": conv,
                    "submission_key": f"seed-{rng_seed}-{year}-{seq}",
                    "full_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    "phone": f"+996{rng.choice((55, 70, 77, 99, 50))}{rng.randint(0, 10**8 - 1):08d}",
                    "region": rng.choice(REGIONS),
                    "address": f"{rng.choice(TOWNS)}, {rng.choice(STREETS)} {rng.randint(1, 200)}",
                    "category": rng.choice(CATEGORIES),
                    "respondent": rng.choice(BODIES),
                    "incident_date": incident,
                    "description": rng.choice(TEXTS) + f" #{rng.randint(1, 10**6)}",
                    "late": (created.date() - incident).days > 365,
                    "attachments": "[]",
                    "created_at": created,
                    "updated_at": created,
                    "channel": "telegram" if telegram else None,
                    "delivery": None,
                }
            )
        with engine.begin() as conn:
            conn.execute(appeals.insert(), rows)
            for year, last in counters.items():
                if conn.execute(
                    sa.select(reference_counters.c.year).where(reference_counters.c.year == year)
                ).first():
                    conn.execute(
                        reference_counters.update()
                        .where(reference_counters.c.year == year)
                        .values(last_seq=last)
                    )
                else:
                    conn.execute(reference_counters.insert().values(year=year, last_seq=last))
        done += len(rows)
    if engine.dialect.name == "postgresql":
        # as autovacuum would after a bulk load: statistics for the planner, and the rows
        # queued in the GIN search index's pending list merged into the index
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE appeals")
    return done
