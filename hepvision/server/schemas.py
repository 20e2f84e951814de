"""HTTP request and response bodies (separate Create / Update / Public models per resource).

The session record itself is :class:`hepvision.wire.session.SessionRecord`, shared with the
upload client.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

# field types, also imported from here by routes, forms and the command line
from hepvision.server.fields import Day, Email, Name, Note, TimeZoneName, no_nul
from hepvision.vocabulary import PAIN_NRS_MAX, PAIN_STOP_NRS_MIN
from hepvision.wire.session import Side, Slug


class _In(BaseModel):
    """A request body: unknown keys, non-finite numbers and NUL characters are refused."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _refuse_nul(cls, data: Any) -> Any:
        return no_nul(data)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# ---- accounts ----------------------------------------------------------------------------

class LoginRequest(_In):
    email: Email
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class TokenPublic(_Out):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime


class TherapistPublic(_Out):
    id: int
    email: str
    full_name: str
    created_at: datetime


class TherapistLockPublic(_Out):
    """A therapist account's login lockout (``locked_at`` null: not locked)."""

    id: int
    email: str
    full_name: str
    failed_logins: int
    locked_at: datetime | None


class PasswordChange(_In):
    current_password: Annotated[str, Field(min_length=1, max_length=1024)]
    new_password: Annotated[str, Field(min_length=8, max_length=1024)]


class MePublic(_Out):
    kind: Literal["therapist", "device"]
    therapist: TherapistPublic | None = None
    patient_id: int | None = None


class PatientCreate(_In):
    display_name: Name
    external_ref: Annotated[str, Field(max_length=64)] | None = None
    timezone: TimeZoneName = "UTC"
    monitoring_start: Day | None = None


class PatientUpdate(_In):
    """The fields to change. ``display_name``, ``timezone`` and ``is_active`` cannot be null
    (leave them out to keep them); ``external_ref`` and ``monitoring_start`` can. (The
    ``type: ignore``: a left-out field is None in Python while its schema admits no null.)"""

    display_name: Name = None  # type: ignore[assignment]
    external_ref: Annotated[str, Field(max_length=64)] | None = None
    timezone: TimeZoneName = None  # type: ignore[assignment]
    monitoring_start: Day | None = None
    is_active: bool = None  # type: ignore[assignment]


class PatientPublic(_Out):
    id: int
    display_name: str
    external_ref: str | None
    timezone: str
    monitoring_start: date | None
    is_active: bool
    created_at: datetime


class EnrolmentCodePublic(_Out):
    code: str
    expires_at: datetime


class PatientCreated(PatientPublic):
    enrolment: EnrolmentCodePublic


class DevicesRevoked(_Out):
    revoked: int


# ---- prescriptions -------------------------------------------------------------------------

class ProgressionStep(_In):
    """Change the dose after a number of days on this version (e.g. +2 reps after 7 days)."""

    after_days: Annotated[int, Field(ge=1, le=365)]
    sets: Annotated[int, Field(ge=1, le=20)] | None = None
    reps: Annotated[int, Field(ge=1, le=200)] | None = None
    hold_s: Annotated[float, Field(ge=0, le=600)] | None = None
    note: Note = ""


class ExerciseOverrides(_In):
    """Per-patient overrides of the template: a ROM target and safety caps.

    ``pain_stop_nrs``: a pain rating (0-10 NRS) at or above this ends the set (the template's
    ``precautions.pain_stop_nrs`` when unset). Read also as ``pain_stop_at``, its name before
    issue 11 (API clients, stored prescriptions); always written as ``pain_stop_nrs``.

    A personal template (``hepvision template learn``, issue 13): ``counter_start``,
    ``counter_turn``, ``counter_hysteresis``, ``counter_min_amplitude`` replace the counter's
    thresholds, in the counted signal's unit (degrees, or a ratio); ``rom_limit`` the limit of
    the template's incomplete-range rule and ``min_rep_s`` that of its too-fast rule.
    ``neutral_deg``: the patient's neutral of the counted angle (``hepvision calibrate
    neutral``): ROM is reported relative to it too and the counter's rest starts from it.
    """

    target_rom_deg: Annotated[float, Field(ge=-180, le=360)] | None = None
    max_rom_deg: Annotated[float, Field(ge=-180, le=360)] | None = None
    max_reps_per_set: Annotated[int, Field(ge=1, le=200)] | None = None
    pain_stop_nrs: Annotated[int, Field(ge=PAIN_STOP_NRS_MIN, le=PAIN_NRS_MAX)] | None = Field(
        default=None, validation_alias=AliasChoices("pain_stop_nrs", "pain_stop_at"))
    counter_start: Annotated[float, Field(ge=-240, le=240)] | None = None
    counter_turn: Annotated[float, Field(ge=-240, le=240)] | None = None
    counter_hysteresis: Annotated[float, Field(gt=0, le=30)] | None = None
    counter_min_amplitude: Annotated[float, Field(ge=0, le=240)] | None = None
    rom_limit: Annotated[float, Field(ge=-240, le=240)] | None = None
    min_rep_s: Annotated[float, Field(ge=0, le=60)] | None = None
    neutral_deg: Annotated[float, Field(ge=-180, le=360)] | None = None


class PrescribedExercise(_In):
    exercise_id: Slug
    sets: Annotated[int, Field(ge=1, le=20)]
    reps: Annotated[int, Field(ge=1, le=200)]
    hold_s: Annotated[float, Field(ge=0, le=600)] = 0.0
    rest_s: Annotated[float, Field(ge=0, le=3600)] | None = None
    sessions_per_day: Annotated[int, Field(ge=1, le=6)] = 1
    days_per_week: Annotated[int, Field(ge=1, le=7)] = 7
    side: Side | None = None
    progression: Annotated[list[ProgressionStep], Field(max_length=10)] = []
    precautions: Annotated[list[Note], Field(max_length=20)] = []
    overrides: ExerciseOverrides = ExerciseOverrides()


class PrescriptionCreate(_In):
    exercises: Annotated[list[PrescribedExercise], Field(min_length=1, max_length=30)]
    precautions: Annotated[list[Note], Field(max_length=20)] = []
    notes: Annotated[str, Field(max_length=2000)] = ""


class PrescriptionPublic(_Out):
    patient_id: int
    version: int
    created_at: datetime
    created_by: int
    exercises: list[PrescribedExercise]
    precautions: list[str]
    notes: str


# ---- sessions and reports ------------------------------------------------------------------

class SessionSummary(_Out):
    session_id: uuid.UUID
    started_at: datetime
    ended_at: datetime
    day: date
    duration_s: float
    pain_before: int | None
    pain_after: int | None
    stopped_early: bool
    total_reps: int
    prescription_version: int | None
    app_version: str
    received_at: datetime
    exercises: list[str]


class RomPoint(_Out):
    session_id: uuid.UUID
    started_at: datetime
    day: date
    exercise_id: str
    angle_name: str
    side: str | None
    reps: int
    rom_best_deg: float | None
    rom_median_deg: float | None


class AdherenceRow(_Out):
    period_start: date
    exercise_id: str
    sessions_done: int
    sessions_prescribed: float
    reps_done: int
    reps_prescribed: float
    adherence_pct: float | None


class PainPoint(_Out):
    session_id: uuid.UUID
    started_at: datetime
    day: date
    pain_before: int | None
    pain_after: int | None


class FindingCounts(_Out):
    session_id: uuid.UUID
    started_at: datetime
    exercise_id: str
    info: int
    caution: int
    stop: int
    by_rule: dict[str, int]


AlertKind = Literal["pain", "rom_drop", "stop_finding", "missed"]


class AlertAckPublic(_Out):
    kind: AlertKind
    subject: str
    since: datetime
    at: datetime
    therapist_id: int
    note: str
    message: str


class Alert(_Out):
    """An alert (rules in :mod:`hepvision.server.data.alerts`).

    ``kind`` and ``subject`` name it (``subject``: ``exercise/angle`` of a ROM drop, the
    exercise of a stop finding, empty for pain and missed sessions). ``since``: when this
    occurrence began; an acknowledgement made after it hides the alert until it recurs.
    """

    kind: AlertKind
    subject: str = ""
    severity: Literal["warning", "high"]
    day: date
    since: datetime
    message: str
    session_id: uuid.UUID | None = None
    exercise_id: str | None = None
    value: float | None = None
    acknowledged: AlertAckPublic | None = None


class AlertAckCreate(_In):
    kind: AlertKind
    subject: Annotated[str, Field(max_length=160)] = ""
    note: Annotated[str, Field(min_length=1, max_length=500)]


AlertSettingSource = Literal["patient", "prescription", "default"]


class AlertSettingsUpdate(_In):
    """The patient's alert thresholds; ``None`` returns a threshold to its default."""

    pain_stop_nrs: Annotated[int, Field(ge=PAIN_STOP_NRS_MIN, le=PAIN_NRS_MAX)] | None = None
    rom_drop_deg: Annotated[float, Field(gt=0, le=180)] | None = None
    missed_days: Annotated[int, Field(ge=1, le=90)] | None = None


class AlertSettingsPublic(_Out):
    """The thresholds in force and where each comes from."""

    pain_stop_nrs: int
    pain_stop_source: AlertSettingSource
    rom_drop_deg: float
    rom_drop_source: AlertSettingSource
    missed_days: int
    missed_days_source: AlertSettingSource


#: Days with data in a 30-day remote-monitoring period, in billing bands.
RtmBand = Literal["none", "1", "2-15", "16-30"]
#: Device-supply codes of a 30-day period (one at most) and the management codes of a month.
DeviceCode = Literal["98977", "98985"]
ManagementCode = Literal["98980", "98981", "98979"]


class RtmPeriod(_Out):
    period_start: date
    period_end: date
    days_with_data: int
    band: RtmBand
    code: DeviceCode | None = None
    setup_code: Literal["98975"] | None = None
    complete: bool = False


class RtmUnits(_Out):
    code: ManagementCode
    units: int


class RtmMonth(_Out):
    """Treatment-management time of one calendar month and the codes it supports."""

    month: str  # YYYY-MM
    minutes: int
    live_contact: bool
    entries: int
    codes: list[RtmUnits]
    reason: str  # why no (further) code, or ""


class RtmPublic(_Out):
    patient_id: int
    monitoring_start: date | None
    days: list[date]
    periods: list[RtmPeriod]
    months: list[RtmMonth] = []


class RtmTimeCreate(_In):
    day: Day
    minutes: Annotated[int, Field(ge=1, le=600)]
    live_contact: bool
    note: Annotated[str, Field(max_length=500)] = ""


class RtmTimeUpdate(_In):
    """The fields to change (none of them can be null: leave a field out to keep it)."""

    day: Day = None  # type: ignore[assignment]
    minutes: Annotated[int, Field(ge=1, le=600)] = None  # type: ignore[assignment]
    live_contact: bool = None  # type: ignore[assignment]
    note: Annotated[str, Field(max_length=500)] = None  # type: ignore[assignment]


class RtmTimePublic(_Out):
    id: int
    patient_id: int
    therapist_id: int
    day: date
    minutes: int
    live_contact: bool
    note: str
    created_at: datetime
    updated_at: datetime


class ProgressReportRequest(_In):
    start: Day
    end: Day
    comment: Annotated[str, Field(max_length=2000)] = ""


class AuditPublic(_Out):
    at: datetime
    actor_kind: str
    actor_id: int | None
    action: str
    resource: str
    resource_id: str | None
    patient_id: int | None
    detail: str


class Health(_Out):
    status: Literal["ok"]
    database: Literal["ok"]
    version: str
