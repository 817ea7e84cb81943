"""What a reader needs of a message: the new text, without the quoted history below it (kept in full)."""

from __future__ import annotations

import re

_QUOTE_HEADERS = [
    re.compile(r"^\s*On .{5,300}wrote:\s*$"),  # Gmail, Apple Mail, Thunderbird
    re.compile(r"^\s*(Em|El|Le|Am) .{5,300}(escreveu|escribió|a écrit|schrieb)\s*:\s*$"),
    re.compile(r"^\s*-{2,}\s*(Original Message|Mensagem original|Mensaje original)\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*_{10,}\s*$"),  # Outlook's rule above "From: ... Sent: ..."
    re.compile(r"^\s*(From|De):\s.+$"),
]
_SIGNATURE = re.compile(r"^-- ?$")


def visible_text(text: str | None) -> str | None:
    """The message without the quoted reply and the signature below it; the full text when nothing is left."""
    if not text:
        return text
    lines = text.splitlines()
    cut = len(lines)
    for index, line in enumerate(lines):
        if index > 0 and (any(p.match(line) for p in _QUOTE_HEADERS) or _SIGNATURE.match(line)):
            cut = index
            break
    kept = lines[:cut]
    while kept and (kept[-1].startswith(">") or not kept[-1].strip()):
        kept.pop()  # a bottom quote without a header line
    result = "\n".join(kept).strip()
    return result or text.strip()
