"""The e-mails an account receives, written with infra/mail_layout.py (French first, then
English, in the text and the HTML part)."""

from __future__ import annotations

from datetime import datetime

from accounts.password_policy import MAX_CHARS, MIN_CHARS
from infra.mail import Mail
from infra.mail_layout import (
    CLOSING_EN,
    CLOSING_FR,
    PRODUCT,
    Bullets,
    Button,
    Version,
    bilingual_mail,
    date_en,
    date_fr,
    hello_en,
    hello_fr,
)
from schemas.accounts import LinkPurpose, RoleName

_PASSWORD_FORMAT_FR = (
    "Le format de mot de passe requiert :",
    Bullets(
        (
            f"de {MIN_CHARS} à {MAX_CHARS} caractères ;",
            "tous les caractères sont acceptés, espaces compris ;",
            "pas un mot de passe courant ;",
            "ni votre adresse e-mail, ni le nom de votre boutique.",
        )
    ),
)
_PASSWORD_FORMAT_EN = (
    "Your password must be:",
    Bullets(
        (
            f"{MIN_CHARS} to {MAX_CHARS} characters long;",
            "made of any characters, spaces included;",
            "not a common password;",
            "free of your e-mail address and your shop name.",
        )
    ),
)


def password_link(
    to: str,
    name: str | None,
    link: str,
    purpose: LinkPurpose,
    expires_at: datetime,
    *,
    licence_name: str | None = None,
    inviter: str | None = None,
) -> Mail:
    """The link to create the first password (a sign-up, an invitation to a licence) or to
    choose a new one (a forgotten password)."""
    fr_until, en_until = date_fr(expires_at), date_en(expires_at)
    if purpose == "reset":
        return bilingual_mail(
            to,
            f"Réinitialisez votre mot de passe {PRODUCT}",
            "Reset your password",
            Version(
                "fr",
                hello_fr(name),
                (
                    "Nous avons reçu une demande de réinitialisation du mot de passe de votre "
                    f"compte {PRODUCT} ({to}).",
                    Button("Choisir un nouveau mot de passe", link),
                    f"Ce lien expire dans 1 heure (le {fr_until}, heure de Paris) et ne sert "
                    "qu’une fois.",
                    *_PASSWORD_FORMAT_FR,
                    "Vous n’avez rien demandé ? Ignorez simplement cet e-mail : votre mot de "
                    "passe actuel reste inchangé.",
                ),
                CLOSING_FR,
            ),
            Version(
                "en",
                hello_en(name),
                (
                    f"We received a request to reset the password of your {PRODUCT} account "
                    f"({to}).",
                    Button("Choose a new password", link),
                    f"This link expires in 1 hour ({en_until}, Paris time) and works once.",
                    *_PASSWORD_FORMAT_EN,
                    "If you did not ask for this, just ignore this e-mail: your current password "
                    "stays as it is.",
                ),
                CLOSING_EN,
            ),
        )
    if licence_name or inviter:
        who_fr = f"{inviter} vous invite" if inviter else "Vous êtes invité(e)"
        who_en = f"{inviter} invites you" if inviter else "You are invited"
        where_fr = f"la licence « {licence_name} » sur {PRODUCT}" if licence_name else PRODUCT
        where_en = f"the licence “{licence_name}” on {PRODUCT}" if licence_name else PRODUCT
        opening_fr = (
            f"{who_fr} à rejoindre {where_fr}, le suivi en ligne des synchronisations "
            f"E-Connecteur. Votre compte ({to}) est prêt : il ne reste qu’à créer votre mot "
            "de passe."
        )
        opening_en = (
            f"{who_en} to join {where_en}, where E-Connecteur synchronisations are followed "
            f"online. Your account ({to}) is ready: all that is left is to create your "
            "password."
        )
    else:
        opening_fr = (
            f"Votre compte {PRODUCT} ({to}) est créé. Il ne reste qu’à créer votre mot de "
            "passe pour accéder à vos rapports de synchronisation."
        )
        opening_en = (
            f"Your {PRODUCT} account ({to}) is created. All that is left is to create your "
            "password to reach your synchronisation reports."
        )
    return bilingual_mail(
        to,
        f"Créez votre mot de passe {PRODUCT}",
        "Create your password",
        Version(
            "fr",
            hello_fr(name),
            (
                opening_fr,
                Button("Créer mon mot de passe", link),
                f"Ce lien est valable jusqu’au {fr_until} (heure de Paris) et ne sert qu’une fois.",
                *_PASSWORD_FORMAT_FR,
                "Vous n’êtes pas à l’origine de cette demande ? Ignorez cet e-mail : sans mot "
                "de passe, personne ne peut se connecter à ce compte.",
            ),
            CLOSING_FR,
        ),
        Version(
            "en",
            hello_en(name),
            (
                opening_en,
                Button("Create my password", link),
                f"This link is valid until {en_until} (Paris time) and works once.",
                *_PASSWORD_FORMAT_EN,
                "If you did not ask for this, ignore this e-mail: without a password, no one can "
                "sign in to this account.",
            ),
            CLOSING_EN,
        ),
    )


def already_registered(to: str, sign_in_url: str, forgot_url: str) -> Mail:
    """Someone tried to sign up with an address that has an account: the answer to the sign-up
    is the same either way, this e-mail tells the owner of the address."""
    return bilingual_mail(
        to,
        f"Vous avez déjà un compte {PRODUCT}",
        "You already have an account",
        Version(
            "fr",
            "Bonjour,",
            (
                f"Une demande de création de compte {PRODUCT} vient d’être faite avec votre "
                f"adresse ({to}). Un compte existe déjà pour cette adresse : inutile d’en "
                "créer un autre, connectez-vous simplement.",
                Button("Me connecter", sign_in_url),
                "Mot de passe oublié ? Vous pouvez en choisir un nouveau :",
                Button("Choisir un nouveau mot de passe", forgot_url),
                "Vous n’êtes pas à l’origine de cette demande ? Ignorez cet e-mail : votre "
                "compte n’a pas été modifié.",
            ),
            CLOSING_FR,
        ),
        Version(
            "en",
            "Hello,",
            (
                f"Someone just asked to create an {PRODUCT} account with your address ({to}). "
                "This address already has an account: there is no need for another one, "
                "just sign in.",
                Button("Sign in", sign_in_url),
                "Forgot your password? You can choose a new one:",
                Button("Choose a new password", forgot_url),
                "If you did not ask for this, ignore this e-mail: your account was not changed.",
            ),
            CLOSING_EN,
        ),
    )


def failed_sign_ins(to: str, count: int, address: str, at: datetime, forgot_url: str) -> Mail:
    """Repeated failed sign-ins on an account (`at`: the last one)."""
    attempts_fr = (
        "tentative de connexion échouée" if count == 1 else "tentatives de connexion échouées"
    )
    attempts_en = "failed sign-in attempt" if count == 1 else "failed sign-in attempts"
    return bilingual_mail(
        to,
        f"Tentatives de connexion échouées sur votre compte {PRODUCT}",
        "Failed sign-in attempts on your account",
        Version(
            "fr",
            "Bonjour,",
            (
                f"Nous avons relevé {count} {attempts_fr} sur votre compte {PRODUCT} ({to}), "
                f"la dernière le {date_fr(at)} (heure de Paris), depuis l’adresse IP "
                f"{address}.",
                "Si c’était vous, rien à faire. Sinon, quelqu’un essaie peut-être de deviner "
                "votre mot de passe : par précaution, choisissez-en un nouveau.",
                Button("Choisir un nouveau mot de passe", forgot_url),
                "La double authentification (une application d’authentification sur votre "
                "téléphone) protège encore mieux votre compte.",
            ),
            CLOSING_FR,
        ),
        Version(
            "en",
            "Hello,",
            (
                f"We noticed {count} {attempts_en} on your {PRODUCT} account ({to}), the "
                f"last one on {date_en(at)} (Paris time), from the IP address {address}.",
                "If it was you, there is nothing to do. Otherwise, someone may be trying to "
                "guess your password: to be safe, choose a new one.",
                Button("Choose a new password", forgot_url),
                "Two-factor authentication (an authenticator app on your phone) protects "
                "your account even better.",
            ),
            CLOSING_EN,
        ),
    )


_ROLES_FR: dict[RoleName, str] = {
    "owner": "propriétaire : vous consultez les rapports, gérez les configurations, les "
    "actions, l’équipe, les clés et les réglages de la licence",
    "member": "membre : vous consultez les rapports, gérez les configurations, les actions "
    "et les tickets d’assistance",
    "viewer": "lecteur : vous consultez le tableau de bord et les rapports",
}
_ROLES_EN: dict[RoleName, str] = {
    "owner": "owner: you read the reports and manage the configurations, the actions, the "
    "team, the keys and the licence’s settings",
    "member": "member: you read the reports and manage the configurations, the actions and "
    "the support tickets",
    "viewer": "viewer: you read the dashboard and the reports",
}


def licence_attached(
    to: str, name: str | None, licence_name: str, role: RoleName, sign_in_url: str
) -> Mail:
    """An existing account was given a licence, or a new role in one."""
    return bilingual_mail(
        to,
        f"Accès à la licence « {licence_name} » sur {PRODUCT}",
        f"Access to the licence “{licence_name}”",
        Version(
            "fr",
            hello_fr(name),
            (
                f"Votre compte {PRODUCT} ({to}) a désormais accès à la licence "
                f"« {licence_name} », avec le rôle {_ROLES_FR[role]}.",
                "Connectez-vous avec votre mot de passe habituel pour la retrouver.",
                Button("Me connecter", sign_in_url),
            ),
            CLOSING_FR,
        ),
        Version(
            "en",
            hello_en(name),
            (
                f"Your {PRODUCT} account ({to}) now has access to the licence "
                f"“{licence_name}”, with the role {_ROLES_EN[role]}.",
                "Sign in with your usual password to find it.",
                Button("Sign in", sign_in_url),
            ),
            CLOSING_EN,
        ),
    )


def password_changed(to: str, at: datetime, forgot_url: str) -> Mail:
    """The password of an account was changed; its other sessions were signed out."""
    return bilingual_mail(
        to,
        f"Votre mot de passe {PRODUCT} a été modifié",
        "Your password was changed",
        Version(
            "fr",
            "Bonjour,",
            (
                f"Le mot de passe de votre compte {PRODUCT} ({to}) a été modifié le "
                f"{date_fr(at)} (heure de Paris).",
                "Par sécurité, toutes vos autres sessions ont été déconnectées : "
                "reconnectez-vous avec le nouveau mot de passe sur vos autres appareils.",
                "Si c’était vous, rien à faire. Si vous n’êtes pas à l’origine de ce "
                "changement, choisissez tout de suite un nouveau mot de passe, puis "
                "contactez notre assistance.",
                Button("Réinitialiser mon mot de passe", forgot_url),
            ),
            CLOSING_FR,
        ),
        Version(
            "en",
            "Hello,",
            (
                f"The password of your {PRODUCT} account ({to}) was changed on {date_en(at)} "
                "(Paris time).",
                "For your safety, every other session was signed out: sign in again with "
                "the new password on your other devices.",
                "If it was you, there is nothing to do. If you did not make this change, "
                "choose a new password right away, then contact our support.",
                Button("Reset my password", forgot_url),
            ),
            CLOSING_EN,
        ),
    )
