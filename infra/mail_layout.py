"""Bilingual e-mails: French first, then English, in the text and the HTML part.

A message is written once, as blocks (paragraphs, lists, buttons) per language; both parts are
rendered from them, so the text and the HTML say the same. The HTML holds no external image or
stylesheet (clients block them, and they would tell a tracker the mail was opened): inline
styles only, every value escaped. Account e-mails (accounts/messages.py) and the support's
answers to a ticket (control_plane/ticket_notices.py) are written with it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from infra.mail import Mail

PRODUCT = "E-Connecteur Cloud"
PARIS = ZoneInfo("Europe/Paris")

# Written out, not taken from the system's locale: servers rarely have a French one.
_MONTHS_FR = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def date_fr(at: datetime) -> str:
    """« 2 décembre 2026 à 03:59 », in Paris time (« 1er » for the first of the month)."""
    local = at.astimezone(PARIS)
    day = "1er" if local.day == 1 else str(local.day)
    return f"{day} {_MONTHS_FR[local.month - 1]} {local.year} à {local:%H:%M}"


def date_en(at: datetime) -> str:
    """ "December 2, 2026 at 03:59", in Paris time."""
    local = at.astimezone(PARIS)
    return f"{_MONTHS_EN[local.month - 1]} {local.day}, {local.year} at {local:%H:%M}"


@dataclass(frozen=True)
class Button:
    label: str
    url: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


Block = str | Bullets | Button
"""A paragraph, a bulleted list, or a link shown as a button (and spelled out below it)."""


@dataclass(frozen=True)
class Version:
    """One language of a message."""

    lang: Literal["fr", "en"]
    greeting: str
    blocks: tuple[Block, ...]
    closing: str


_FR_FOOTER = "Cet e-mail vous est envoyé automatiquement : merci de ne pas y répondre."
_EN_FOOTER = "This e-mail is sent automatically: please do not reply to it."
_SEPARATOR = "-" * 60


def _text_block(block: Block, lang: str) -> str:
    match block:
        case Button(label, url):
            return f"{label} :\n{url}" if lang == "fr" else f"{label}:\n{url}"
        case Bullets(items):
            return "\n".join(f"  - {item}" for item in items)
        case str():
            return block


def _text(version: Version) -> str:
    blocks = [_text_block(block, version.lang) for block in version.blocks]
    footer = _FR_FOOTER if version.lang == "fr" else _EN_FOOTER
    return "\n\n".join([version.greeting, *blocks, version.closing, footer])


_BUTTON_STYLE = (
    "display:inline-block;padding:12px 24px;background:#1d4f91;color:#ffffff;"
    "font-weight:bold;text-decoration:none;border-radius:4px"
)
_P = '<p style="margin:0 0 16px">'


def _html_block(block: Block, lang: str) -> str:
    e = html.escape
    match block:
        case Button(label, url):
            fallback = (
                "Si le bouton ne fonctionne pas, copiez ce lien dans votre navigateur :"
                if lang == "fr"
                else "If the button does not work, copy this link into your browser:"
            )
            return (
                f'<p style="margin:24px 0"><a href="{e(url)}" style="{_BUTTON_STYLE}">'
                f"{e(label)}</a></p>\n"
                f'<p style="margin:0 0 16px;font-size:13px;color:#555555">{e(fallback)}<br>'
                f'<a href="{e(url)}" style="color:#1d4f91;word-break:break-all">{e(url)}</a></p>'
            )
        case Bullets(items):
            lines = "".join(f"<li>{e(item)}</li>" for item in items)
            return f'<ul style="margin:0 0 16px;padding-left:24px">{lines}</ul>'
        case str():
            return f"{_P}{e(block)}</p>"


def _html_version(version: Version) -> str:
    footer = _FR_FOOTER if version.lang == "fr" else _EN_FOOTER
    body = "\n".join(_html_block(block, version.lang) for block in version.blocks)
    return (
        f'<div lang="{version.lang}">\n'
        f"{_P}{html.escape(version.greeting)}</p>\n{body}\n"
        f"{_P}{html.escape(version.closing)}</p>\n"
        f'<p style="margin:0;font-size:12px;color:#777777">{html.escape(footer)}</p>\n</div>'
    )


def bilingual_mail(to: str, subject_fr: str, subject_en: str, fr: Version, en: Version) -> Mail:
    subject = f"{subject_fr} / {subject_en}"
    text = "\n\n".join(["(English version below)", _text(fr), _SEPARATOR, _text(en)])
    html_part = (
        '<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(subject)}</title>\n</head>\n"
        '<body style="margin:0;padding:24px;background:#f4f5f7;font-family:Arial,Helvetica,'
        'sans-serif;font-size:15px;line-height:1.5;color:#222222">\n'
        '<div style="max-width:600px;margin:0 auto;padding:32px;background:#ffffff;'
        'border-radius:6px">\n'
        f'<p style="margin:0 0 24px;font-size:18px;font-weight:bold;color:#1d4f91">'
        f"{PRODUCT}</p>\n"
        '<p style="margin:0 0 24px;font-size:12px;color:#777777">English version below</p>\n'
        f"{_html_version(fr)}\n"
        '<hr style="margin:32px 0;border:0;border-top:1px solid #dddddd">\n'
        f"{_html_version(en)}\n</div>\n</body>\n</html>\n"
    )
    return Mail(to=to, subject=subject, text=text, html=html_part)


def hello_fr(name: str | None) -> str:
    return f"Bonjour {name}," if name else "Bonjour,"


def hello_en(name: str | None) -> str:
    return f"Hello {name}," if name else "Hello,"


CLOSING_FR = f"L’équipe {PRODUCT}"
CLOSING_EN = f"The {PRODUCT} team"
