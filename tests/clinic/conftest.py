"""Fixtures of the clinic-record tests: one server per test module and database backend
(SQLite, and PostgreSQL when ``HEPVISION_TEST_POSTGRES_URL`` is set), emptied before each test.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from hepvision.server.app import create_app
from hepvision.server.models import Base
from tests.clinic.world import TEMPLATES
from tests.support.databases import BACKENDS, fresh_database
from tests.test_server import test_settings


@pytest.fixture(scope="module", params=BACKENDS)
def database_url(request, tmp_path_factory):
    yield from fresh_database(request.param, tmp_path_factory.mktemp("db"), "hv_records")


@pytest.fixture(scope="module")
def app(database_url):
    app = create_app(test_settings(database_url), template_ids=lambda: TEMPLATES)
    yield app
    app.state.engine.dispose()


@pytest.fixture
def client(app):
    with app.state.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    return TestClient(app)
