"""Text from the database made safe to print on a staff member's terminal.

Appeals hold what citizens typed.  Printed raw, control characters would act on the
terminal: ANSI escape sequences (ESC ``\\x1b`` or the one-byte CSI ``\\x9b``) can recolour,
move the cursor, rewrite earlier lines, set the window title or hide text; a carriage return
or backspace overwrites what is shown; bidi overrides make text read differently from what it
is.  So every C0/C1 control character, DEL, and every invisible format character (Unicode
category Cf: bidi controls, zero-width characters) is shown as a visible escape instead.

* :func:`safe_cell` for the table: one line, each such character as ``\\x1b`` / ``\\u202e``
  (a backslash in the data is doubled, so the output is unambiguous).
* :func:`safe_json` for ``--json``: still valid JSON that decodes to exactly the stored
  values; the characters above are written as ``\\uXXXX`` escapes.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

_INVISIBLE = (
    "\x7f-\x9f\u2028\u2029"
    + "".join(re.escape(chr(c)) for c in range(0xA0, 0x10000) if unicodedata.category(chr(c)) == "Cf")
    + "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    + "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
_UNSAFE = re.compile(f"[\x00-\x1f{_INVISIBLE}]")
# json.dumps escapes U+0000..U+001F inside strings itself; a raw newline is indentation.
_UNSAFE_IN_JSON = re.compile(f"[{_INVISIBLE}]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def safe_cell(value: str) -> str:
    """One visible line: control and format characters as escapes, backslashes doubled."""
    return _UNSAFE.sub(_escape, str(value).replace("\\", "\\\\"))


def _json_escape(match: re.Match) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # a UTF-16 surrogate pair, as JSON writes characters beyond the BMP
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def safe_json(data: Any, **kwargs: Any) -> str:
    """``json.dumps`` (readable Cyrillic kept) with no raw control or format character."""
    return _UNSAFE_IN_JSON.sub(_json_escape, json.dumps(data, ensure_ascii=False, **kwargs))
