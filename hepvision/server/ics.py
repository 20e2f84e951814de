"""The patient's calendar feed (iCalendar, RFC 5545) of prescribed sessions.

One recurring event per session time of the current prescription: exercises prescribed at the
same local time on the same weekdays share an event (``RRULE:FREQ=WEEKLY;BYDAY=...``), and a
progression step starts a new series with the new dose (the previous one ends the day
before, ``UNTIL``). Times are *floating* local times (no ``TZID``), which a phone reads in its
own time zone: a 09:00 session reminds at 09:00 wherever the patient is; ``X-WR-TIMEZONE``
names the patient's zone for calendars that ask. Days and times come from
:mod:`hepvision.server.schedule`; day counts for progression start on the UTC date the version
was created, as on the device.

The feed carries no name or record number: only exercise names and doses, since anyone holding
the feed URL can read it. Each event has a display alarm at its start (some calendar apps drop
alarms of subscribed calendars unless the user allows them).
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from hepvision.server import schedule
from hepvision.server.models import Patient, Prescription
from hepvision.server.schemas import PrescribedExercise, PrescriptionCreate

PRODID = "-//hepvision//prescribed exercise sessions//EN"
REFRESH = "PT6H"
_BYDAY = {1: "MO", 2: "TU", 3: "WE", 4: "TH", 5: "FR", 6: "SA", 7: "SU"}
MIN_EVENT_MIN = 10


@dataclass(frozen=True, slots=True)
class SessionSeries:
    """One recurring event: these exercises at ``at`` on ``weekdays``, from ``first`` to
    ``last`` (inclusive; None: open-ended)."""

    at: time
    weekdays: tuple[int, ...]
    exercises: tuple[int, ...]  # positions in the prescription
    first: date
    last: date | None
    phase_day: int


def escape(text: str) -> str:
    """An iCalendar TEXT value."""
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def fold(line: str) -> str:
    """Fold a content line at 75 octets (continuation lines start with a space)."""
    out, current, size = [], "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > 75:
            out.append(current)
            current, size = " ", 1
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def _first_on_or_after(day: date, weekdays: tuple[int, ...]) -> date:
    while day.isoweekday() not in weekdays:
        day += timedelta(days=1)
    return day


def series(prescription: Prescription) -> list[SessionSeries]:
    """The recurring sessions of a prescription version, by dose phase, time and weekdays."""
    exercises = PrescriptionCreate.model_validate(prescription.body).exercises
    start = prescription.created_at.date()
    phases = schedule.phase_starts(exercises)
    out = []
    for k, phase_day in enumerate(phases):
        end_day = phases[k + 1] if k + 1 < len(phases) else None
        slots: dict[tuple[time, int], list[int]] = defaultdict(list)
        for i, entry in enumerate(exercises):
            for at in schedule.slots(entry):
                for weekday in schedule.weekdays(entry):
                    slots[(at, weekday)].append(i)
        groups: dict[tuple[time, tuple[int, ...]], list[int]] = defaultdict(list)
        for (at, weekday), positions in sorted(slots.items()):
            groups[(at, tuple(positions))].append(weekday)
        last = start + timedelta(days=end_day - 1) if end_day is not None else None
        for (at, members), weekdays in sorted(groups.items()):
            first = _first_on_or_after(start + timedelta(days=phase_day), tuple(weekdays))
            if last is None or first <= last:
                out.append(SessionSeries(at, tuple(weekdays), members, first, last, phase_day))
    return out


def _local(day: date, at: time) -> str:
    return datetime.combine(day, at).strftime("%Y%m%dT%H%M%S")


def _event(s: SessionSeries, exercises: list[PrescribedExercise], names: Mapping[str, str],
           uid_seed: str, stamp: datetime) -> list[str]:
    chosen = [exercises[i] for i in s.exercises]
    doses = [schedule.dose_on(e, s.phase_day) for e in chosen]
    minutes = sum(schedule.duration_s(e, d) for e, d in zip(chosen, doses, strict=True)) / 60
    minutes = max(MIN_EVENT_MIN, 5 * math.ceil(minutes / 5))
    title = ", ".join(names.get(e.exercise_id, e.exercise_id) for e in chosen)
    lines = [f"{names.get(e.exercise_id, e.exercise_id)}: {schedule.dose_text(e, d)}"
             for e, d in zip(chosen, doses, strict=True)]
    stops = sorted({e.overrides.pain_stop_nrs for e in chosen
                    if e.overrides.pain_stop_nrs is not None})
    if stops:
        lines.append(f"Stop if pain reaches {stops[0]}/10.")
    lines.append("Open hepvision to start the session.")
    rule = ("FREQ=DAILY" if len(s.weekdays) == 7 else
            "FREQ=WEEKLY;BYDAY=" + ",".join(_BYDAY[d] for d in s.weekdays))
    if s.last is not None:
        rule += f";UNTIL={_local(s.last, time(23, 59, 59))}"
    key = f"{uid_seed}/{s.phase_day}/{s.at.isoformat()}/{s.weekdays}/{s.exercises}"
    uid = hashlib.sha256(key.encode()).hexdigest()[:32]
    return ["BEGIN:VEVENT", f"UID:{uid}@hepvision", f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}",
            f"DTSTART:{_local(s.first, s.at)}", f"DURATION:PT{minutes}M", f"RRULE:{rule}",
            f"SUMMARY:{escape('Home exercises: ' + title)}",
            f"DESCRIPTION:{escape(chr(10).join(lines))}", "TRANSP:TRANSPARENT",
            "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:PT0S",
            f"DESCRIPTION:{escape('Time for your exercises: ' + title)}", "END:VALARM",
            "END:VEVENT"]


def render_feed(patient: Patient, prescription: Prescription | None,
                names: Mapping[str, str], *, uid_seed: str) -> str:
    """The feed of ``prescription`` (the current version), or an empty calendar when there is
    none or the patient's care has ended. ``uid_seed`` keeps event UIDs stable per patient."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", "X-WR-CALNAME:Home exercises",
             f"X-WR-TIMEZONE:{patient.timezone}",
             f"REFRESH-INTERVAL;VALUE=DURATION:{REFRESH}", f"X-PUBLISHED-TTL:{REFRESH}"]
    if prescription is not None and patient.is_active:
        exercises = PrescriptionCreate.model_validate(prescription.body).exercises
        stamp = prescription.created_at.astimezone(UTC)
        for s in series(prescription):
            lines.extend(_event(s, exercises, names, f"{uid_seed}/v{prescription.version}",
                                stamp))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
