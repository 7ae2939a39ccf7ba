"""Operator endpoints for licences: what `ero licence create` calls on a running pipeline."""

from __future__ import annotations

import asyncio
from typing import Annotated

import structlog
from fastapi import APIRouter, status
from pydantic import BaseModel, StringConstraints

from licences.http import Licences, Operator
from licences.store import Credentials

log = structlog.get_logger(__name__)
router = APIRouter(tags=["operators"], dependencies=[Operator])


class LicenceRequest(BaseModel):
    # Stored stripped; blank (or only spaces) is refused with a 422.
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


@router.post("/v1/admin/licences", status_code=status.HTTP_201_CREATED, response_model=Credentials)
async def create_licence(body: LicenceRequest, licences: Licences) -> Credentials:
    credentials = await asyncio.to_thread(licences.create, body.name)
    log.info("licence_created", licence_id=credentials.licence_id, name=body.name)
    return credentials
