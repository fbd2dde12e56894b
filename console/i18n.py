"""Texts of the staff console, from translations/{ky,ru}.yml.

A missing key shows as the key, and tests check that both languages have the same keys.
Labels of statuses, regions and categories come from the assistant's own texts
(:mod:`core.labels`, i.e. domain/labels.yml).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Optional

import yaml

from core import labels
from core.language import DEFAULT_LANGUAGE, LANGUAGES

DIR = Path(__file__).resolve().parent / "translations"

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "catalog", "label", "t"]


def _flatten(tree: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            out.update(_flatten(value, name))
        else:
            out[name] = str(value)
    return out


@cache
def catalog(language: str) -> dict[str, str]:
    if language not in LANGUAGES:
        language = DEFAULT_LANGUAGE
    with open(DIR / f"{language}.yml", encoding="utf-8") as f:
        return _flatten(yaml.safe_load(f))


def t(language: str, key: str, **params) -> str:
    text = catalog(language).get(key, key)
    return text.format(**params) if params else text


def label(language: str, group: str, code: Optional[str]) -> str:
    """A status, region or category label; "not set" for none, the code if unknown."""
    if code is None or code == "":
        return t(language, "figures.not_set")
    return labels.label(language, group, code) or str(code)
