"""The e-mails a merchant receives about a ticket: the support answered it, or resolved it.
Sent to the ticket's contact e-mail, French then English (infra/mail_layout.py), the number first
in the subject and a link to the ticket's page, where the merchant answers (not by e-mail)."""

from __future__ import annotations

from infra.mail import Mail
from infra.mail_layout import CLOSING_EN, CLOSING_FR, PRODUCT, Button, Version, bilingual_mail
from schemas.control import MerchantNotice, TicketDoc


def ticket_page(public_url: str, number: str) -> str:
    return f"{public_url.rstrip('/')}/#/assistance?ticket={number}"


def notice_mail(
    ticket: TicketDoc, notice: MerchantNotice, message: str | None, public_url: str
) -> Mail:
    number = ticket.number or "ERO"
    link = ticket_page(public_url, number)
    if notice == "answered":
        return bilingual_mail(
            ticket.email,
            f"[{number}] Réponse du support : {ticket.subject}",
            "Support answered",
            Version(
                "fr",
                "Bonjour,",
                (
                    f"Le support {PRODUCT} a répondu à votre ticket {number} "
                    f"« {ticket.subject} » :",
                    message or "",
                    "Pour lui répondre, ouvrez votre ticket :",
                    Button("Voir le ticket", link),
                ),
                CLOSING_FR,
            ),
            Version(
                "en",
                "Hello,",
                (
                    f"The {PRODUCT} support answered your ticket {number} “{ticket.subject}”:",
                    message or "",
                    "To answer it, open your ticket:",
                    Button("See the ticket", link),
                ),
                CLOSING_EN,
            ),
        )
    return bilingual_mail(
        ticket.email,
        f"[{number}] Ticket résolu : {ticket.subject}",
        "Ticket resolved",
        Version(
            "fr",
            "Bonjour,",
            (
                f"Le support {PRODUCT} a résolu votre ticket {number} « {ticket.subject} ».",
                "Le problème persiste ? Répondez depuis la page du ticket : il sera rouvert.",
                Button("Voir le ticket", link),
            ),
            CLOSING_FR,
        ),
        Version(
            "en",
            "Hello,",
            (
                f"The {PRODUCT} support resolved your ticket {number} “{ticket.subject}”.",
                "Still a problem? Answer from the ticket's page: it will be opened again.",
                Button("See the ticket", link),
            ),
            CLOSING_EN,
        ),
    )
