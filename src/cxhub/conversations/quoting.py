"""What a reader needs of a message: the new text, without the quoted history below it (kept in full).

Recognised: "On ... wrote:" (Gmail, Apple Mail, Thunderbird; also wrapped over two lines) and its
Portuguese, Spanish, French, German and Italian forms; Outlook's "-----Original Message-----" and
"From:/Sent:/To:/Subject:" blocks (also "De:/Enviado:", "Von:/Gesendet:"); "> " quotes on top or
at the bottom; the "-- " signature line and "Sent from my phone" footers.
"""

from __future__ import annotations

import re

_WROTE = re.compile(
    r"^\s*(On|Em|El|Le|Am|Il|Op|Den|W dniu)\s.{5,300}"
    r"(wrote|escreveu|escribió|a écrit|schrieb|ha scritto|scrisse|schreef|skrev|napisał)\s*:\s*$",
    re.IGNORECASE,
)
_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(Original Message|Mensagem original|Mensaje original|Message d'origine|Ursprüngliche Nachricht"
    r"|Messaggio originale)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_RULE = re.compile(r"^\s*_{10,}\s*$")  # Outlook's rule above "From: ... Sent: ..."
_HEADER_FROM = re.compile(r"^\s*\*?(From|De|Von|Da|Van)\s?\*?\s*:\s*\S", re.IGNORECASE)
_HEADER_NEXT = re.compile(
    r"^\s*\*?(Sent|Date|To|Subject|Enviado|Enviada|Fecha|Para|Assunto|Asunto|Envoyé|Objet|À|Gesendet|An|Betreff"
    r"|Inviato|Oggetto|Data|Enviado el|Cc)\s?\*?\s*:",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(r"^-- ?$")
_MOBILE_FOOTER = re.compile(
    r"^\s*(Sent from my|Enviado do meu|Enviado desde mi|Envoyé de mon|Von meinem|Inviato da|Get Outlook for)\b.{0,60}$",
    re.IGNORECASE,
)


def _quote_header_at(lines: list[str], index: int) -> int:
    """How many lines the quote header starting at `index` takes (0: none starts there)."""
    line = lines[index]
    if _WROTE.match(line) or _ORIGINAL.match(line):
        return 1
    following = lines[index + 1] if index + 1 < len(lines) else ""
    if re.match(r"^\s*(On|Em|El|Le|Am)\s", line) and _WROTE.match(f"{line.rstrip()} {following.strip()}"):
        return 2  # "On Mon, 3 Jun 2024 at 10:00, Jane <" / "jane@example.com> wrote:"
    if _RULE.match(line) and _HEADER_FROM.match(following):
        return 1
    if _HEADER_FROM.match(line) and any(_HEADER_NEXT.match(n) for n in lines[index + 1 : index + 5]):
        return 1
    return 0


def _is_quote(line: str) -> bool:
    return line.lstrip().startswith(">")


def visible_text(text: str | None) -> str | None:
    """The message without the quoted reply and the signature below it; the full text when nothing is left."""
    if not text:
        return text
    lines = text.replace("\r\n", "\n").split("\n")
    start = 0
    # bottom-posting: a header and quoted lines first, the new text after them
    while start < len(lines) and not lines[start].strip():
        start += 1
    if start < len(lines) and (_quote_header_at(lines, start) or _is_quote(lines[start])):
        start += _quote_header_at(lines, start)
        while start < len(lines) and (_is_quote(lines[start]) or not lines[start].strip()):
            start += 1
    cut = len(lines)
    for index in range(start, len(lines)):
        line = lines[index]
        if index > start and (_quote_header_at(lines, index) or _SIGNATURE.match(line)):
            cut = index
            break
        if index > start and _MOBILE_FOOTER.match(line):
            cut = index
            break
    kept = lines[start:cut]
    while kept and (_is_quote(kept[-1]) or not kept[-1].strip()):
        kept.pop()  # a bottom quote without a header line
    result = "\n".join(kept).strip()
    return result or text.strip()
