"""ASGI entry for process managers: ``uvicorn --factory hepvision.server.asgi:app_from_env``.

Settings come from the environment (and the file named by ``HEPVISION_ENV_FILE``). The schema
is expected to be migrated already (``hepvision serve`` does it once before starting workers);
set ``HEPVISION_MIGRATE_ON_START=1`` to migrate here instead (advisory-locked on PostgreSQL).
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from hepvision.server.app import create_app
from hepvision.server.core.config import load_settings
from hepvision.server.lifeline import tie_to_supervisor


def app_from_env() -> FastAPI:
    tie_to_supervisor()  # a worker of ``serve --workers N`` exits with its parent
    settings = load_settings(env_file=os.environ.get("HEPVISION_ENV_FILE") or None)
    migrate = os.environ.get("HEPVISION_MIGRATE_ON_START", "") not in ("", "0")
    return create_app(settings, migrate=migrate)
