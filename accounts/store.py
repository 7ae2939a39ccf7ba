"""Reading people back from the control entities: accounts, their secrets, links, sessions and
the licences they hold. Every read names the account (or the licence) it is about."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import orjson

from control_plane.store import ControlStore, Revision
from schemas.accounts import (
    ACCOUNTS,
    CredentialDoc,
    LicenceHeld,
    LoginDoc,
    MemberDoc,
    UserDoc,
)
from schemas.control import Entity

MAX_LICENCES = 1000
"""Licences one person may hold (an agency's shops): the switcher lists them all."""
MAX_MEMBERS = 500


def email_key(email: str) -> str:
    """One address, however it is typed: the login's entity id."""
    return email.strip().lower()


@dataclass(frozen=True)
class Member:
    doc: MemberDoc
    user: UserDoc


_LICENCES_OF = f"""
SELECT m.licence_id, l.name, l.status, m.body FROM (
    SELECT licence_id, deleted, body FROM control_entities FINAL
    WHERE entity = 'member' AND entity_id = {{user_id:String}}
    ORDER BY licence_id, revision DESC
    LIMIT 1 BY licence_id
) AS m
INNER JOIN (SELECT licence_id, name, status FROM licences FINAL) AS l
    ON l.licence_id = m.licence_id
WHERE NOT m.deleted
ORDER BY l.name, m.licence_id
LIMIT {MAX_LICENCES}
"""


_OPERATORS = """
SELECT body FROM (
    SELECT argMax(body, revision) AS body, argMax(deleted, revision) AS gone
    FROM control_entities FINAL
    WHERE licence_id = {accounts:String} AND entity = 'user'
    GROUP BY entity_id
)
WHERE NOT gone AND JSONExtractBool(body, 'operator')
"""


class AccountStore:
    def __init__(self, control: ControlStore) -> None:
        self.control = control

    async def _current(self, entity: Entity, entity_id: str) -> Revision | None:
        found = await self.control.one(ACCOUNTS, entity, entity_id)
        return None if found is None or found.deleted else found

    async def user_revision(self, user_id: str) -> Revision | None:
        return await self._current(Entity.USER, user_id)

    async def user(self, user_id: str) -> UserDoc | None:
        found = await self.user_revision(user_id)
        return found.doc(UserDoc) if found else None

    async def user_by_email(self, email: str) -> UserDoc | None:
        login = await self._current(Entity.LOGIN, email_key(email))
        return await self.user(login.doc(LoginDoc).user_id) if login else None

    async def credential(self, user_id: str) -> Revision | None:
        return await self._current(Entity.CREDENTIAL, user_id)

    async def secrets(self, user_id: str) -> CredentialDoc:
        found = await self.credential(user_id)
        return found.doc(CredentialDoc) if found else CredentialDoc()

    async def link(self, link_hash: str) -> Revision | None:
        return await self._current(Entity.LINK, link_hash)

    async def session(self, session_hash: str) -> Revision | None:
        return await self._current(Entity.SESSION, session_hash)

    async def seen(self, session_hash: str) -> Revision | None:
        return await self._current(Entity.SESSION_SEEN, session_hash)

    async def member(self, licence_id: str, user_id: str) -> Revision | None:
        found = await self.control.one(licence_id, Entity.MEMBER, user_id)
        return None if found is None or found.deleted else found

    async def members(self, licence_id: str) -> list[Member]:
        rows = [r for r in await self.control.current([licence_id], Entity.MEMBER) if not r.deleted]
        docs = [row.doc(MemberDoc) for row in rows[:MAX_MEMBERS]]
        users = await asyncio.gather(*(self.user(doc.user_id) for doc in docs))
        return [Member(doc, user) for doc, user in zip(docs, users, strict=True) if user]

    async def operators(self) -> list[UserDoc]:
        """Every account with the operator role (the vendor's team: a few people)."""
        rows = await self.control.clickhouse.arows(_OPERATORS, {"accounts": ACCOUNTS})
        return [UserDoc.model_validate_json(body) for (body,) in rows]

    async def is_operator(self, email: str) -> bool:
        """Whether `email` is an operator's (control_plane's OperatorRoster: ticket assignees)."""
        wanted = email_key(email)
        return any(email_key(user.email) == wanted for user in await self.operators())

    async def licences_of(self, user_id: str) -> list[LicenceHeld]:
        rows = await self.control.clickhouse.arows(_LICENCES_OF, {"user_id": user_id})
        return [_held(row) for row in rows]


def _held(row: Any) -> LicenceHeld:
    licence_id, name, status, body = row
    return LicenceHeld(
        licence_id=licence_id, name=name, status=status, role=orjson.loads(body)["role"]
    )
