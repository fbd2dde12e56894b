"""The project's domain as the action server reads it, and texts out of its responses.

Rasa is configured not to send the domain with every action call (it is large and
re-serialised each time: see endpoints.yml ``enable_selective_domain``), so the actions
read the same domain the model was trained from: the ``domain/`` directory (every YAML
file below it, merged as Rasa merges them) or, without it, ``domain.yml``.
``AKY_DOMAIN_PATH`` may name either a file or a directory.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any, Optional

import yaml

ROOT = Path(__file__).resolve().parent.parent
DomainDict = dict[str, Any]


def domain_path() -> Path:
    configured = os.environ.get("AKY_DOMAIN_PATH", "").strip()
    if configured:
        return Path(configured)
    directory = ROOT / "domain"
    return directory if directory.is_dir() else ROOT / "domain.yml"


def _domain_files(path: Path) -> list[Path]:
    if not path.is_dir():
        return [path]
    return sorted(p for p in path.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())


def load_domain(path: Path) -> DomainDict:
    """One domain dict from a file or a directory: mappings merged key by key, lists joined."""
    merged: DomainDict = {}
    for file in _domain_files(path):
        with open(file, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
        for key, value in data.items():
            if isinstance(value, dict):
                merged.setdefault(key, {}).update(value)
            elif isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            else:
                merged[key] = value
    return merged


@functools.lru_cache(maxsize=1)
def project_domain() -> DomainDict:
    """The project's domain, read once per process."""
    return load_domain(domain_path())


def domain_or_project(domain: Optional[DomainDict]) -> DomainDict:
    """The domain Rasa sent, or the project's when it sent none (selective domain)."""
    return domain if domain and domain.get("responses") else project_domain()


def response_text(domain: DomainDict, name: str, language: str) -> Optional[str]:
    """The text of a domain response in one language (labels, examples)."""
    variants = (domain.get("responses") or {}).get(name) or []
    fallback = None
    for variant in variants:
        for condition in variant.get("condition") or []:
            if condition.get("name") == "language" and condition.get("value") == language:
                return variant.get("text")
        fallback = fallback or variant.get("text")
    return fallback
