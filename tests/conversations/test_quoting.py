"""Quoted history and signatures are hidden for display, on samples shaped like real clients' replies."""

from __future__ import annotations

import pytest

from cxhub.conversations.quoting import visible_text

GMAIL = """Thanks, that fixed it.

On Mon, 3 Jun 2024 at 10:02, Lumen Home Support <support@lumen.example> wrote:
> Hello Jane,
>
> Please restart the router.
"""

GMAIL_WRAPPED = """Still broken, sorry.

On Mon, Jun 3, 2024 at 10:02 AM Lumen Home Support <
support@lumen.example> wrote:

> Please restart the router.
"""

OUTLOOK = """Please cancel the order.

Kind regards,
Jane

-----Original Message-----
From: Lumen Home Support <support@lumen.example>
Sent: Monday, June 3, 2024 10:02 AM
To: Jane Doe <jane@example.com>
Subject: RE: Order 1234

Your order has shipped.
"""

OUTLOOK_BLOCK = """I never received it.

________________________________
From: Lumen Home Support <support@lumen.example>
Sent: 03 June 2024 10:02
To: Jane Doe
Subject: Order 1234
"""

OUTLOOK_NO_RULE = """See the photo attached.

From: Lumen Home Support <support@lumen.example>
Sent: Monday, June 3, 2024 10:02 AM
To: Jane Doe <jane@example.com>
Subject: Order 1234
"""

APPLE = """Works now!

Sent from my iPhone

> On 3 Jun 2024, at 10:02, Lumen Home Support <support@lumen.example> wrote:
>
> Please restart the router.
"""

PORTUGUESE = """Obrigado, já recebi a encomenda.

Em seg., 3 de jun. de 2024 às 10:02, Apoio Lumen <apoio@lumen.example> escreveu:
> Olá João,
> A sua encomenda foi enviada.
"""

PORTUGUESE_OUTLOOK = """Bom dia, o produto chegou partido.

De: Apoio Lumen <apoio@lumen.example>
Enviado: segunda-feira, 3 de junho de 2024 10:02
Para: João Silva <joao@example.pt>
Assunto: Encomenda 1234
"""

SPANISH = """Gracias por la ayuda.

El lun, 3 jun 2024 a las 10:02, Soporte Lumen (<soporte@lumen.example>) escribió:
> Hola María,
"""

BOTTOM_POSTED = """On 3 Jun 2024 10:02, Lumen Home Support wrote:
> Did the restart help?

Yes, it works again.
"""

BOTTOM_QUOTES_ONLY = """> Did the restart help?
> Let us know.

Yes, it works again.
"""

SIGNATURE = """Where is my parcel?

--\x20
Jane Doe
Example Ltd, +353 1 234 5678
"""


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        (GMAIL, "Thanks, that fixed it."),
        (GMAIL_WRAPPED, "Still broken, sorry."),
        (OUTLOOK, "Please cancel the order.\n\nKind regards,\nJane"),
        (OUTLOOK_BLOCK, "I never received it."),
        (OUTLOOK_NO_RULE, "See the photo attached."),
        (APPLE, "Works now!"),
        (PORTUGUESE, "Obrigado, já recebi a encomenda."),
        (PORTUGUESE_OUTLOOK, "Bom dia, o produto chegou partido."),
        (SPANISH, "Gracias por la ayuda."),
        (BOTTOM_POSTED, "Yes, it works again."),
        (BOTTOM_QUOTES_ONLY, "Yes, it works again."),
        (SIGNATURE, "Where is my parcel?"),
    ],
    ids=[
        "gmail",
        "gmail-wrapped",
        "outlook-original-message",
        "outlook-rule-block",
        "outlook-header-block",
        "apple-mail",
        "portuguese-gmail",
        "portuguese-outlook",
        "spanish",
        "bottom-posted",
        "bottom-quotes-only",
        "signature",
    ],
)
def test_visible_text_hides_quoted_history(sample: str, expected: str) -> None:
    assert visible_text(sample) == expected


def test_ordinary_text_is_left_whole() -> None:
    text = "From: my side, the order never came.\nI paid on Monday.\n\nJane"
    assert visible_text(text) == text
    assert visible_text("> only a quote") == "> only a quote"
    assert visible_text(None) is None
    assert visible_text("") == ""
