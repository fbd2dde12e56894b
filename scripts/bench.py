"""`make bench`: throughput and latency over the REST channel, on loopback only.

Starts the action server and Rasa with the current model, then drives realistic
conversations (FAQ questions and whole appeals, Kyrgyz and Russian) at 1, 10 and 50
concurrent conversations. Every level stops by itself after a fixed number of messages or
a time limit, whichever comes first.

    python -m scripts.bench              # our model
    python -m scripts.bench --baseline   # also train and measure Rasa's default pipeline
    python -m scripts.bench --smoke      # a few messages: checks that it runs (CI)

Each run measures two set-ups side by side: ``memory`` (today's laptop set-up: conversations
and locks in memory, appeals in SQLite) and ``production`` (conversations in PostgreSQL
through the project's tracker store, locks in Redis, appeals in PostgreSQL, the action
server's shared secret), and reports production/memory for throughput and p95 at 10
conversations, CPU time per message of each process (/proc), and the time of a message deep
in a 500-turn conversation against one of a 5-turn conversation.  ``--no-production`` skips
the second set-up (no PostgreSQL or Redis needed).
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


def cpu_seconds(pid: Optional[int]) -> Optional[float]:
    """User + system CPU time of a process, from /proc (Linux)."""
    if not pid:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def postgres_cpu() -> Optional[float]:
    """CPU time of every PostgreSQL process (the server may serve others too)."""
    total, found = 0.0, False
    for stat in Path("/proc").glob("[0-9]*/comm"):
        try:
            if stat.read_text().strip() in ("postgres", "postmaster"):
                value = cpu_seconds(int(stat.parent.name))
                if value is not None:
                    total += value
                    found = True
        except OSError:
            continue
    return total if found else None


def redis_pid() -> Optional[int]:
    try:
        out = subprocess.run(
            ["redis-cli", "info", "server"], capture_output=True, text=True, timeout=5
        ).stdout
        return int(out.split("process_id:")[1].split()[0])
    except (IndexError, ValueError, OSError):
        return None


async def long_conversation(url: str, turns: int) -> dict:
    """Time of a message at the start and after ``turns`` turns of one conversation."""
    sender = "bench-long-" + uuid.uuid4().hex[:8]
    texts = itertools.cycle(["здравствуйте", "кто такой омбудсмен", "спасибо", "сколько стоит подать жалобу"])
    times: list[float] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        for _ in range(turns):
            started = time.perf_counter()
            async with session.post(
                f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": next(texts)}
            ) as response:
                await response.read()
            times.append(time.perf_counter() - started)
    short = sorted(times[:5])[2]  # median of turns 1-5
    deep = sorted(times[-20:])[10]  # median of the last 20 turns
    return {"turns": turns, "turn_1_5_ms": round(short * 1000, 1), "last_20_ms": round(deep * 1000, 1)}


PRODUCTION_TOKEN = "bench-action-server-token-0123456789"


def production_env(tmp: str) -> tuple[dict, callable]:
    """A fresh PostgreSQL database and Redis db 15 for the production set-up; returns a cleanup."""
    name = f"aky_bench_{uuid.uuid4().hex[:10]}"
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-tAc"]
    subprocess.run([*psql, f'CREATE DATABASE "{name}"'], check=True, capture_output=True)
    subprocess.run(["redis-cli", "-n", "15", "FLUSHDB"], capture_output=True)
    env = {
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{name}",
        "POSTGRES_HOST": "127.0.0.1",
        "POSTGRES_PORT": "5432",
        "POSTGRES_DB": name,
        "POSTGRES_USER": "postgres",
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": "6379",
        "REDIS_LOCK_DB": "15",
        "ACTION_SERVER_TOKEN": PRODUCTION_TOKEN,
    }
    subprocess.run([sys.executable, "-m", "appeals", "migrate"], cwd=ROOT, env=base_env(env), check=True)

    def cleanup() -> None:
        subprocess.run([*psql, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], capture_output=True)
        subprocess.run(["redis-cli", "-n", "15", "FLUSHDB"], capture_output=True)

    return env, cleanup


def measure(model: Path, levels, label: str, production: bool = False, long_turns: int = 0) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        cleanup = None
        if production:
            env, cleanup = production_env(tmp)
        else:
            env = {"DATABASE_URL": f"sqlite:///{tmp}/bench.db", "ACTION_SERVER_TOKEN": PRODUCTION_TOKEN}
            for name in ("POSTGRES_HOST", "REDIS_HOST"):
                os.environ.pop(name, None)
        try:
            return _measure(model, levels, label, env, production, long_turns, tmp)
        finally:
            if cleanup:
                cleanup()


def _measure(model, levels, label, env, production, long_turns, tmp) -> dict:
    with (
        open(Path(tmp) / "actions.log", "wb") as alog,
        open(Path(tmp) / "rasa.log", "wb") as rlog,
        action_server(free_port(), env=env, log=alog) as action_url,
        rasa_server(free_port(), action_url, model=model, env=env, log=rlog) as url,
    ):
        asyncio.run(drive(url, 2, 12))  # warm-up: first requests load lazily
        results = []
        pids = {"rasa": _rasa_pid(url), "actions": _rasa_pid(action_url.rsplit("/", 1)[0])}
        if production:
            pids["redis"] = redis_pid()
        for concurrency, budget in levels:
            before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            before["postgres"] = postgres_cpu() if production else None
            result = asyncio.run(drive(url, concurrency, budget))
            after = {name: cpu_seconds(pid) for name, pid in pids.items()}
            after["postgres"] = postgres_cpu() if production else None
            result["cpu_ms_per_message"] = {
                name: round((after[name] - before[name]) * 1000 / max(result["messages"], 1), 2)
                for name in after
                if after[name] is not None and before.get(name) is not None
            }
            print(
                f"  {label:<8} {concurrency:>3} conversations: {result['msg_per_s']:>7} msg/s  "
                f"p50 {result['p50_ms']} ms  p95 {result['p95_ms']} ms  p99 {result['p99_ms']} ms"
                f"  ({result['messages']} messages, {result['errors']} errors)"
                f"  CPU ms/message {result['cpu_ms_per_message']}",
                flush=True,
            )
            results.append(result)
        long = asyncio.run(long_conversation(url, long_turns)) if long_turns else None
        if long:
            print(
                f"  {label:<8} one conversation: turns 1-5 {long['turn_1_5_ms']} ms, "
                f"turns {long_turns - 19}-{long_turns} {long['last_20_ms']} ms",
                flush=True,
            )
        pid = pids["rasa"]
        memory = rss_mb(pid) if pid else None
    return {
        "levels": results,
        "model_mb": round(model.stat().st_size / 1e6, 2),
        "peak_rss_mb": memory,
        "long_conversation": long,
    }


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
    parser.add_argument(
        "--no-production", action="store_true", help="skip the production set-up (PostgreSQL, Redis)"
    )
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
        long_turns = 0 if args.smoke else 500
        report["ours"] = {
            **measure(ours_model, levels, "memory", long_turns=long_turns),
            "train_s": ours_train,
        }
        if not args.no_production:
            report["production"] = measure(ours_model, levels, "prod", production=True, long_turns=long_turns)
            compared = max(c for c, _ in levels if c <= 10)
            mem, prod = (
                next(level for level in report[k]["levels"] if level["concurrency"] == compared)
                for k in ("ours", "production")
            )
            report["production_vs_memory"] = {
                "concurrency": mem["concurrency"],
                "throughput (prod/memory, goal >= 0.8)": round(prod["msg_per_s"] / mem["msg_per_s"], 3),
                "p95 (prod/memory, goal <= 1.5)": round(prod["p95_ms"] / mem["p95_ms"], 3),
            }
            print(f"\nproduction vs memory at {mem['concurrency']} conversations:")
            for name, value in report["production_vs_memory"].items():
                print(f"  {name:<40} {value}")
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
    kinds = ("ours", "production", "default")
    failed = sum(level["errors"] for k in kinds if k in report for level in report[k]["levels"])
    total = sum(level["messages"] for k in kinds if k in report for level in report[k]["levels"])
    print(f"bench: {total} messages answered, {failed} errors")
    return 1 if failed or not total else 0


if __name__ == "__main__":
    sys.exit(main())
