"""The attachment rule: at most 10 files of at most 20 MB, each kept once."""

from __future__ import annotations

import pytest

from actions.attachments import add_attachment
from core.appeal import MAX_ATTACHMENT_BYTES as MAX_BYTES
from core.appeal import MAX_ATTACHMENTS as MAX_FILES


def doc(n: int, size: int = 1000) -> dict:
    return {
        "file_id": f"F{n}",
        "file_unique_id": f"U{n}",
        "name": f"scan{n}.pdf",
        "mime_type": "application/pdf",
        "size": size,
        "kind": "document",
    }


@pytest.mark.parametrize(
    "current, attachment, expected_count, response",
    [
        ([], doc(1), 1, "utter_attachment_received"),
        ([doc(1)], doc(2), 2, "utter_attachment_received"),
        ([doc(1)], doc(1), 1, "utter_attachment_received"),  # redelivered: kept once
        ([], doc(1, size=MAX_BYTES), 1, "utter_attachment_received"),
        ([], doc(1, size=MAX_BYTES + 1), 0, "utter_attachment_too_large"),
        ([doc(i) for i in range(MAX_FILES)], doc(99), MAX_FILES, "utter_too_many_attachments"),
        ([doc(i) for i in range(MAX_FILES - 1)], doc(99), MAX_FILES, "utter_attachment_received"),
        ([], None, 0, "utter_unsupported_message"),
        ([], {}, 0, "utter_unsupported_message"),
        ([], {"name": "x.pdf"}, 0, "utter_unsupported_message"),
        ([], "not a dict", 0, "utter_unsupported_message"),
    ],
)
def test_add_attachment(current, attachment, expected_count, response):
    updated, said = add_attachment(current, attachment)
    assert len(updated) == expected_count
    assert said == response


def test_only_known_fields_are_kept():
    updated, _ = add_attachment([], {**doc(1), "caption": "Асанов Бакыт, +996555123456"})
    assert set(updated[0]) == {"file_id", "file_unique_id", "name", "mime_type", "size", "kind"}
