"""Field types of the server's request bodies (:mod:`hepvision.server.schemas`): names, email,
time zones, days the server accepts, and the refusal of NUL characters."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field


def zone_name(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (use an IANA name like Europe/Berlin)")
    return name


def no_nul(value: Any) -> Any:
    """Reject a NUL character anywhere in a request body (PostgreSQL cannot store one)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text must not contain a NUL character")
    elif isinstance(value, dict):
        for item in value.values():
            no_nul(item)
    elif isinstance(value, list):
        for item in value:
            no_nul(item)
    return value


#: The days the server accepts anywhere (dates outside are typos or probes, e.g. year 9999).
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
Day = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY)]
TimeZoneName = Annotated[str, Field(max_length=64), AfterValidator(zone_name)]
Email = Annotated[str, Field(min_length=3, max_length=254,
                             pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Note = Annotated[str, Field(max_length=500)]
