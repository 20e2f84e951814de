"""``GET /health``: liveness plus a database round trip (no token)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from hepvision import __version__
from hepvision.server.api.deps import SessionDep
from hepvision.server.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(db: SessionDep) -> Health:
    try:
        db.execute(text("SELECT 1"))
        db.rollback()
    except SQLAlchemyError:
        raise HTTPException(503, "database unavailable") from None
    return Health(status="ok", database="ok", version=__version__)
