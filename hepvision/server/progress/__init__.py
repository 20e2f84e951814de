"""The progress report: a PDF of a patient's program, ROM, adherence, pain and findings over a
period, for physicians and payers.

    content.py  what the report says, read from the data layer (typed, no drawing)
    charts.py   the charts, drawn server-side as vector graphics (ReportLab)
    render.py   the PDF: sections, tables, page footer

:func:`progress_pdf` is what the dashboard, the API and ``hepvision report`` call.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from hepvision.server.data import audit
from hepvision.server.data.alert_rules import AlertDefaults
from hepvision.server.models import Patient
from hepvision.server.progress.content import MAX_REPORT_DAYS, ProgressReport, build
from hepvision.server.progress.render import render_pdf

__all__ = ["MAX_REPORT_DAYS", "ProgressReport", "build", "log_report", "progress_pdf",
           "render_pdf", "report_filename"]


def progress_pdf(db: Session, patient: Patient, *, start: date, end: date, comment: str,
                 defaults: AlertDefaults) -> bytes:
    """The PDF of ``patient``'s report for the local days ``start`` to ``end``."""
    return render_pdf(build(db, patient, start=start, end=end, comment=comment,
                            defaults=defaults))


def report_filename(patient: Patient, start: date, end: date) -> str:
    return f"progress-patient-{patient.id}-{start}-to-{end}.pdf"


def log_report(db: Session, actor_kind: str, actor_id: int | None, patient: Patient,
               start: date, end: date) -> None:
    """Audit a report that left the server (who, whose, which period) and commit."""
    audit.record(db, actor_kind=actor_kind, actor_id=actor_id, action="export",
                 resource="progress_report", patient_id=patient.id,
                 therapist_id=actor_id if actor_kind == "therapist" else None,
                 detail=f"{start} to {end}")
    db.commit()
