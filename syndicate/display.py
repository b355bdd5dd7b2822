"""Untrusted text (file names, article fields) made safe for one line of human output."""

from __future__ import annotations

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def shown(text: str) -> str:
    """``text`` safe to print on one line of human output: control, format and other
    non-printable characters (newlines, escape sequences, bidi overrides, lone
    surrogates) become backslash escapes, as ``ls -b`` does, so a file name cannot
    forge a line or repaint a terminal. Machine output (the JSON report) keeps names
    raw."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _ESCAPES.get(ch) or _escape(ch) for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:
        code -= 0xDC00  # os.fsdecode's stand-in for an undecodable byte: show the byte
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
