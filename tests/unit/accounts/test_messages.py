"""The account e-mails: French then English in both parts, the link and the dates (Paris time)
in each language, every value escaped in the HTML, nothing loaded from elsewhere."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from accounts import messages
from infra.mail import Mail
from infra.mail_layout import date_en, date_fr
from schemas.accounts import LinkPurpose, RoleName

TO = "helene@boutique.example"
LINK = "https://ero.example/#/mot-de-passe?jeton=Zx9-a_b&x=1"
SIGN_IN = "https://ero.example/#/connexion"
FORGOT = "https://ero.example/#/mot-de-passe-oublie"
WINTER = datetime(2026, 12, 2, 2, 59, tzinfo=UTC)  # 03:59 in Paris (UTC+1)
SUMMER = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)  # 12:00 in Paris (UTC+2)

EVERY_MESSAGE = {
    "create": messages.password_link(TO, "Hélène", LINK, "create", WINTER),
    "invitation": messages.password_link(
        TO, None, LINK, "create", WINTER, licence_name="Boutique Dupont", inviter="Jean Dupont"
    ),
    "reset": messages.password_link(TO, None, LINK, "reset", WINTER),
    "already_registered": messages.already_registered(TO, SIGN_IN, FORGOT),
    "failed_sign_ins": messages.failed_sign_ins(TO, 5, "203.0.113.7", WINTER, FORGOT),
    "licence_attached": messages.licence_attached(
        TO, "Hélène", "Boutique Dupont", "member", SIGN_IN
    ),
    "password_changed": messages.password_changed(TO, WINTER, FORGOT),
}


class _Html(HTMLParser):
    """The tags, links and text of a message's HTML part, as a mail client reads them."""

    def __init__(self, document: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.langs: list[str] = []
        self.text: list[str] = []
        self.feed(document)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        found = dict(attrs)
        if tag == "a":
            self.hrefs.append(found["href"] or "")
        if tag == "div" and found.get("lang"):
            self.langs.append(found["lang"] or "")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _html(mail: Mail) -> _Html:
    return _Html(mail.html)


@pytest.mark.parametrize("mail", EVERY_MESSAGE.values(), ids=EVERY_MESSAGE.keys())
def test_french_comes_first_then_english_in_both_parts(mail: Mail) -> None:
    subject_fr, _, subject_en = mail.subject.partition(" / ")
    assert subject_fr
    assert subject_en
    assert "\n" not in mail.subject
    assert mail.text.index("Bonjour") < mail.text.index("Hello")
    assert mail.text.index("L’équipe E-Connecteur Cloud") < mail.text.index(
        "The E-Connecteur Cloud team"
    )
    assert _html(mail).langs == ["fr", "en"]
    text = "".join(_html(mail).text)
    assert text.index("Bonjour") < text.index("Hello")


@pytest.mark.parametrize("mail", EVERY_MESSAGE.values(), ids=EVERY_MESSAGE.keys())
def test_nothing_is_loaded_from_elsewhere(mail: Mail) -> None:
    """Clients block remote images and stylesheets, and fetching one tells a tracker the mail
    was opened: inline styles only."""
    parsed = _html(mail)
    assert not {"img", "link", "script", "style", "iframe"} & set(parsed.tags)
    assert "url(" not in mail.html
    assert "@import" not in mail.html


@pytest.mark.parametrize("purpose", ["create", "reset"])
def test_a_password_link_holds_the_link_and_the_expiry_in_both_languages(
    purpose: LinkPurpose,
) -> None:
    mail = messages.password_link(TO, "Hélène", LINK, purpose, WINTER)
    # The text part gives the link on a line of its own, to copy whole.
    assert mail.text.count(f"\n{LINK}\n") == 2
    hrefs = _html(mail).hrefs
    assert hrefs.count(LINK) == 4  # a button and the link spelled out, in each language
    assert set(hrefs) == {LINK}
    for part in (mail.text, "".join(_html(mail).text)):
        assert "2 décembre 2026 à 03:59" in part
        assert "December 2, 2026 at 03:59" in part
        assert "12 à 128 caractères" in part
        assert "12 to 128 characters" in part
        assert "espaces compris" in part
        assert "spaces included" in part
        assert "mot de passe courant" in part
        assert "common password" in part
        assert "nom de votre boutique" in part
        assert "shop name" in part


def test_a_create_link_asks_to_create_the_password() -> None:
    mail = messages.password_link(TO, "Hélène", LINK, "create", WINTER)
    assert mail.subject == "Créez votre mot de passe E-Connecteur Cloud / Create your password"
    assert "Bonjour Hélène," in mail.text
    assert "Hello Hélène," in mail.text
    assert "Créer mon mot de passe" in mail.text
    assert "invite" not in mail.text


def test_a_reset_link_expires_in_an_hour_and_may_be_ignored() -> None:
    mail = messages.password_link(TO, None, LINK, "reset", WINTER)
    assert mail.subject.startswith("Réinitialisez votre mot de passe E-Connecteur Cloud / ")
    assert "expire dans 1 heure" in mail.text
    assert "expires in 1 hour" in mail.text
    assert "Ignorez simplement cet e-mail" in mail.text
    assert "just ignore this e-mail" in mail.text
    assert "Bonjour," in mail.text


def test_an_invitation_names_who_invites_and_the_licence() -> None:
    mail = messages.password_link(
        TO, None, LINK, "create", WINTER, licence_name="Boutique Dupont", inviter="Jean Dupont"
    )
    assert mail.subject.startswith("Créez votre mot de passe")
    assert "Jean Dupont vous invite à rejoindre la licence « Boutique Dupont »" in mail.text
    assert "Jean Dupont invites you to join the licence “Boutique Dupont”" in mail.text
    only_licence = messages.password_link(
        TO, None, LINK, "create", WINTER, licence_name="Boutique Dupont"
    )
    assert "Vous êtes invité(e) à rejoindre la licence « Boutique Dupont »" in only_licence.text


def test_dates_are_in_paris_time_summer_and_winter() -> None:
    assert date_fr(WINTER) == "2 décembre 2026 à 03:59"
    assert date_en(WINTER) == "December 2, 2026 at 03:59"
    assert date_fr(SUMMER) == "1er juillet 2026 à 12:00"
    assert date_en(SUMMER) == "July 1, 2026 at 12:00"
    months = [date_fr(datetime(2026, month, 15, 12, tzinfo=UTC)) for month in (2, 8)]
    assert months == ["15 février 2026 à 13:00", "15 août 2026 à 14:00"]


def test_values_are_escaped_in_the_html() -> None:
    hostile = '<script>alert("x")</script>'
    link = 'https://ero.example/#/mot-de-passe?jeton=a"onmouseover="alert(1)'
    mails = [
        messages.password_link(
            TO, hostile, link, "create", WINTER, licence_name=hostile, inviter=hostile
        ),
        messages.licence_attached(TO, hostile, hostile, "owner", link),
        messages.failed_sign_ins(TO, 3, hostile, WINTER, link),
    ]
    for mail in mails:
        parsed = _html(mail)
        assert "script" not in parsed.tags
        assert "<script>" not in mail.html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in mail.html
        assert set(parsed.hrefs) == {link}, "the quote did not end the href attribute"
        assert hostile in "".join(parsed.text), "shown as written"
        assert hostile in mail.text


def test_already_registered_offers_to_sign_in_or_reset() -> None:
    mail = EVERY_MESSAGE["already_registered"]
    assert set(_html(mail).hrefs) == {SIGN_IN, FORGOT}
    assert f"\n{SIGN_IN}\n" in mail.text
    assert f"\n{FORGOT}\n" in mail.text
    assert "Un compte existe déjà pour cette adresse" in mail.text
    assert "This address already has an account" in mail.text


def test_failed_sign_ins_say_how_many_from_where_and_when() -> None:
    mail = EVERY_MESSAGE["failed_sign_ins"]
    assert "5 tentatives de connexion échouées" in mail.text
    assert "5 failed sign-in attempts" in mail.text
    assert mail.text.count("203.0.113.7") == 2
    assert "2 décembre 2026 à 03:59" in mail.text
    assert "December 2, 2026 at 03:59" in mail.text
    assert set(_html(mail).hrefs) == {FORGOT}
    one = messages.failed_sign_ins(TO, 1, "203.0.113.7", WINTER, FORGOT)
    assert "1 tentative de connexion échouée" in one.text
    assert "1 failed sign-in attempt " in one.text


@pytest.mark.parametrize(
    ("role", "fr", "en"),
    [
        ("owner", "propriétaire", "owner"),
        ("member", "membre", "member"),
        ("viewer", "lecteur", "viewer"),
    ],
)
def test_licence_attached_names_the_licence_and_the_role(role: RoleName, fr: str, en: str) -> None:
    mail = messages.licence_attached(TO, None, "Boutique Dupont", role, SIGN_IN)
    assert "« Boutique Dupont »" in mail.subject
    assert f"licence « Boutique Dupont », avec le rôle {fr} :" in mail.text
    assert f"licence “Boutique Dupont”, with the role {en}:" in mail.text
    assert set(_html(mail).hrefs) == {SIGN_IN}


def test_password_changed_says_when_and_that_other_sessions_ended() -> None:
    mail = EVERY_MESSAGE["password_changed"]
    assert "modifié le 2 décembre 2026 à 03:59" in mail.text
    assert "changed on December 2, 2026 at 03:59" in mail.text
    assert "toutes vos autres sessions ont été déconnectées" in mail.text
    assert "every other session was signed out" in mail.text
    assert set(_html(mail).hrefs) == {FORGOT}


def test_the_text_part_is_plain_text() -> None:
    for mail in EVERY_MESSAGE.values():
        assert not re.search(r"<[a-z/!]", mail.text), "no markup in the text part"
