"""The therapist server: accounts, prescriptions, session ingest and ROM trends.

Layout (after the full-stack FastAPI template)::

    core/config.py    Settings (environment / env file), refusing default secrets outside
                      development mode
    core/security.py  password hashing (argon2id), opaque tokens, enrolment codes
    models.py         SQLAlchemy 2 tables; migrations/ holds the Alembic history
    database.py       engine, session factory, ``upgrade_database``
    data/             every query: accounts, prescriptions, sessions, reports, audit
    api/              deps.py (Annotated dependencies, access checks) and routes/
    app.py            ``create_app(settings)``

The server shares wire schemas (:mod:`hepvision.wire`) with the upload client and never imports
the vision pipeline. Import ``create_app`` from :mod:`hepvision.server.app` and
``Settings`` from :mod:`hepvision.server.core.config`.
"""
