"""`make bench`: throughput and latency over the REST channel, on loopback only.

Starts the action server and Rasa with the current model, then drives realistic
conversations (FAQ questions and whole appeals, Kyrgyz and Russian) at 1, 10 and 50
concurrent conversations. Every level stops by itself after a fixed number of messages or
a time limit, whichever comes first.

    python -m scripts.bench              # our model
    python -m scripts.bench --baseline   # also train and measure Rasa's default pipeline
    python -m scripts.bench --smoke      # a few messages: checks that it runs (CI)
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Optional

import aiohttp

from devserver.servers import BIN, MODEL, ROOT, action_server, base_env, free_port, rasa_server

FAQ_KY = [
    "саламатсызбы",
    "акыйкатчы ким",
    "кайрылуу акысызбы",
    "айлык бербей жатышат эмне кылам",
    "пенсия дайындабай жатышат",
    "акыйкатчынын телефону кандай",
    "рахмат",
]
FAQ_RU = [
    "здравствуйте",
    "кто такой омбудсмен",
    "сколько стоит подать жалобу",
    "не платят зарплату что делать",
    "как получить паспорт",
    "какой телефон у омбудсмена",
    "спасибо",
]
APPEAL_KY = [
    "кайрылуу бергим келет",
    "ооба",
    "Асанов Бакыт",
    "0700 12 34 56",
    "Ош шаары",
    "эмгек акы",
    "мектептин директору",
    "кечээ",
    "Мектептин директору үч айдан бери айлык акыны төлөбөй жатат.",
    "ооба",
]
APPEAL_RU = [
    "хочу подать жалобу",
    "да",
    "Иванова Мария",
    "+996 555 123 456",
    '/inform{"region":"bishkek"}',
    "здравоохранение",
    "главврач больницы",
    "01.11.2026",
    "В больнице отказали в бесплатной операции и потребовали деньги.",
    "да",
]
SCRIPTS = [FAQ_KY, FAQ_RU, APPEAL_KY, FAQ_RU, FAQ_KY, APPEAL_RU]

LEVELS = {"full": [(1, 150), (10, 600), (50, 1000)], "smoke": [(1, 6), (2, 6)]}
TIME_LIMIT_S = 180


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


async def drive(url: str, concurrency: int, budget: int) -> dict:
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + TIME_LIMIT_S
    scripts = itertools.cycle(SCRIPTS)
    lock = asyncio.Lock()

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal errors
        while True:
            async with lock:
                script = next(scripts)
            sender = "bench-" + uuid.uuid4().hex[:12]
            for text in script:
                if len(latencies) + errors >= budget or time.monotonic() > deadline:
                    return
                started = time.perf_counter()
                try:
                    async with session.post(
                        f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
                    ) as response:
                        await response.read()
                        ok = response.status == 200
                except aiohttp.ClientError:
                    ok = False
                if ok:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1

    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {
        "concurrency": concurrency,
        "messages": len(latencies),
        "errors": errors,
        "seconds": round(elapsed, 2),
        "msg_per_s": round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(percentile(latencies, 50) * 1000, 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 95) * 1000, 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 99) * 1000, 1) if latencies else None,
    }


def rss_mb(pid: int) -> Optional[float]:
    """Peak resident memory of a process and its children (Rasa runs in one process)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def train(config: Path, out: Path, name: str) -> float:
    """Full training with Rasa's cache disabled, so the time is a cold training."""
    started = time.monotonic()
    subprocess.run(
        [
            str(BIN / "rasa"),
            "train",
            "--config",
            str(config),
            "--out",
            str(out),
            "--fixed-model-name",
            name,
            "--domain",
            str(ROOT / "domain"),
            "--data",
            str(ROOT / "data"),
        ],
        cwd=ROOT,
        env=base_env({"RASA_MAX_CACHE_SIZE": "0"}),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return round(time.monotonic() - started, 1)


def measure(model: Path, levels, label: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        env = {"DATABASE_URL": f"sqlite:///{tmp}/bench.db"}
        with (
            open(Path(tmp) / "actions.log", "wb") as alog,
            open(Path(tmp) / "rasa.log", "wb") as rlog,
            action_server(free_port(), env=env, log=alog) as action_url,
            rasa_server(free_port(), action_url, model=model, env=env, log=rlog) as url,
        ):
            asyncio.run(drive(url, 2, 12))  # warm-up: first requests load lazily
            results = []
            for concurrency, budget in levels:
                result = asyncio.run(drive(url, concurrency, budget))
                print(
                    f"  {label:<8} {concurrency:>3} conversations: {result['msg_per_s']:>7} msg/s  "
                    f"p50 {result['p50_ms']} ms  p95 {result['p95_ms']} ms  p99 {result['p99_ms']} ms"
                    f"  ({result['messages']} messages, {result['errors']} errors)",
                    flush=True,
                )
                results.append(result)
            pid = _rasa_pid(url)
            memory = rss_mb(pid) if pid else None
    return {"levels": results, "model_mb": round(model.stat().st_size / 1e6, 2), "peak_rss_mb": memory}


def _rasa_pid(url: str) -> Optional[int]:
    port = url.rsplit(":", 1)[1]
    try:
        out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True).stdout
        return int(out.split("pid=")[1].split(",")[0])
    except (IndexError, ValueError, OSError):
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", action="store_true", help="also measure Rasa's default pipeline")
    parser.add_argument("--smoke", action="store_true", help="a few messages only")
    parser.add_argument("--json", default=str(ROOT / "results" / "bench.json"))
    args = parser.parse_args()
    levels = LEVELS["smoke" if args.smoke else "full"]
    report: dict = {"date": time.strftime("%Y-%m-%d"), "machine": f"{os.cpu_count()} cores"}
    with tempfile.TemporaryDirectory() as tmp:
        if args.baseline:
            print("Training our pipeline and Rasa's default pipeline (cache off)...", flush=True)
            ours_train = train(ROOT / "config.yml", Path(tmp), "ours")
            default_train = train(ROOT / "bench" / "default_config.yml", Path(tmp), "default")
            ours_model, default_model = Path(tmp) / "ours.tar.gz", Path(tmp) / "default.tar.gz"
        else:
            ours_model, ours_train = MODEL, None
        print("Measuring over REST on 127.0.0.1:", flush=True)
        report["ours"] = {**measure(ours_model, levels, "ours"), "train_s": ours_train}
        if args.baseline:
            report["default"] = {**measure(default_model, levels, "default"), "train_s": default_train}
    if args.baseline:
        ours, default = report["ours"], report["default"]
        ten = lambda r: next(level for level in r["levels"] if level["concurrency"] == 10)  # noqa: E731
        ratios = {
            "throughput_10 (ours/default)": ten(ours)["msg_per_s"] / ten(default)["msg_per_s"],
            "p95_latency_10 (ours/default)": ten(ours)["p95_ms"] / ten(default)["p95_ms"],
            "training_time (ours/default)": ours["train_s"] / default["train_s"],
            "model_size (ours/default)": ours["model_mb"] / default["model_mb"],
        }
        if ours["peak_rss_mb"] and default["peak_rss_mb"]:
            ratios["peak_memory (ours/default)"] = ours["peak_rss_mb"] / default["peak_rss_mb"]
        report["ratios"] = {k: round(v, 3) for k, v in ratios.items()}
        print(
            f"\ntraining: ours {ours['train_s']} s, default {default['train_s']} s; "
            f"model: ours {ours['model_mb']} MB, default {default['model_mb']} MB; "
            f"peak memory: ours {ours['peak_rss_mb']} MB, default {default['peak_rss_mb']} MB"
        )
        for name, value in report["ratios"].items():
            print(f"  {name:<34} {value:.3f}")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(report, indent=2), encoding="utf-8")
    failed = sum(level["errors"] for k in ("ours", "default") if k in report for level in report[k]["levels"])
    total = sum(
        level["messages"] for k in ("ours", "default") if k in report for level in report[k]["levels"]
    )
    print(f"bench: {total} messages answered, {failed} errors")
    return 1 if failed or not total else 0


if __name__ == "__main__":
    sys.exit(main())
