"""Code systems and codes of the FHIR R4 export (one place; README lists them).

Standard codes:

- LOINC 73985-4 "Exercise activity", 55411-3 "Exercise duration" (UCUM ``min``), 72514-3
  "Pain severity - 0-10 verbal numeric rating [Score] - Reported".
- SNOMED CT 229065009 "Exercise therapy (regime/therapy)" (the HL7 Physical Activity IG's code
  for a prescribed exercise regime); body structures for ``bodySite``, laterality 7771000 left,
  24028007 right, 51440002 right and left, carried by the HL7 extension
  ``observation-structureLaterality``. The body-structure codes were chosen without a
  terminology server: check them against the clinic's SNOMED CT edition before relying on them.
- Observation categories ``activity``, ``therapy`` and ``survey``
  (terminology.hl7.org/CodeSystem/observation-category).

Local code systems (no standard code exists for camera-measured joint angles per joint, for
counted repetitions or for form findings). Their canonical URLs sit under ``LOCAL_BASE``, a
``.invalid`` host (RFC 2606): it never resolves and can never collide with someone else's code
system; a clinic that publishes these CodeSystems maps the URL. :func:`code_systems` builds
them as CodeSystem resources, so they are validated like the rest of the export.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hepvision.vocabulary import AngleName

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
LATERALITY_EXTENSION = "http://hl7.org/fhir/StructureDefinition/observation-structureLaterality"

LOCAL_BASE = "http://hepvision.invalid/fhir"
#: Joint angles measured from video: one code per :class:`~hepvision.vocabulary.AngleName`.
ROM_SYSTEM = f"{LOCAL_BASE}/CodeSystem/rom"
#: Observation, component and method codes that have no standard code.
HEPVISION_SYSTEM = f"{LOCAL_BASE}/CodeSystem/hepvision"
#: Exercise templates (the library's template ids).
EXERCISE_SYSTEM = f"{LOCAL_BASE}/CodeSystem/exercise"
#: Form rules of the templates (a finding's ``rule_id``).
FORM_RULE_SYSTEM = f"{LOCAL_BASE}/CodeSystem/form-rule"
#: Identifiers: the patient's session ids, prescription versions, the dosage extension.
SESSION_ID_SYSTEM = f"{LOCAL_BASE}/NamingSystem/session-id"
PRESCRIPTION_SYSTEM = f"{LOCAL_BASE}/NamingSystem/prescription-version"
DOSAGE_EXTENSION = f"{LOCAL_BASE}/StructureDefinition/exercise-dosage"


@dataclass(frozen=True, slots=True)
class Code:
    system: str
    code: str
    display: str

    def coding(self) -> dict[str, str]:
        return {"system": self.system, "code": self.code, "display": self.display}

    def concept(self, text: str | None = None) -> dict[str, Any]:
        return {"coding": [self.coding()], "text": text or self.display}


EXERCISE_ACTIVITY = Code(LOINC, "73985-4", "Exercise activity")
EXERCISE_DURATION = Code(LOINC, "55411-3", "Exercise duration")
PAIN_NRS = Code(LOINC, "72514-3",
                "Pain severity - 0-10 verbal numeric rating [Score] - Reported")
EXERCISE_THERAPY = Code(SNOMED, "229065009", "Exercise therapy")
LEFT = Code(SNOMED, "7771000", "Left")
RIGHT = Code(SNOMED, "24028007", "Right")
BILATERAL = Code(SNOMED, "51440002", "Right and left")
MRN = Code(IDENTIFIER_TYPE, "MR", "Medical record number")

#: Local codes with their definitions (the ``hepvision`` CodeSystem).
LOCAL_CODES: dict[str, tuple[str, str]] = {
    "stopped-early": (
        "Session stopped early",
        ("The session ended before the prescribed sets (pain at or above the stop rating, or "
         "stopped by the patient).")),
    "repetitions": (
        "Repetitions counted",
        "Repetitions of one exercise in one session, counted from video by the app."),
    "sets": ("Sets done", "Sets of one exercise in one session."),
    "partial-repetitions": (
        "Partial repetitions", "Repetitions that did not reach the counting threshold."),
    "hold-duration": ("Hold duration", "Total isometric hold time of one exercise (s)."),
    "form-findings": (
        "Form findings",
        ("Form findings raised by the template's rules during one exercise; components count "
         "them by severity and by rule.")),
    "findings-info": ("Findings: info", "Findings of severity info."),
    "findings-caution": ("Findings: caution", "Findings of severity caution."),
    "findings-stop": ("Findings: stop", "Findings of severity stop."),
    "rom-start": (
        "ROM start angle",
        "Joint angle at the start of the repetition with the highest peak (deg, neutral-zero)."),
    "rom-peak": ("ROM peak angle", "The session's highest peak joint angle (deg)."),
    "rom-range": ("ROM arc", "Peak minus start of that repetition (deg)."),
    "rom-peak-median": ("Median peak angle", "Median of the repetitions' peak angles (deg)."),
    "pain-before-session": (
        "Pain before the session",
        "0-10 numeric rating given by the patient in the app before the first set."),
    "pain-after-session": (
        "Pain after the session",
        "0-10 numeric rating given by the patient in the app after the last set."),
    "video-pose-estimation": (
        "Video pose estimation",
        ("Measured by the hepvision app from a single camera: pose landmarks, neutral-zero "
         "joint angles; active range of motion only.")),
}


def local(code: str) -> Code:
    """A code of the ``hepvision`` CodeSystem (KeyError for an unknown one)."""
    return Code(HEPVISION_SYSTEM, code, LOCAL_CODES[code][0])


def rom_code(angle: AngleName) -> Code:
    return Code(ROM_SYSTEM, angle.value, f"{angle.value.replace('_', ' ').capitalize()}, "
                "active ROM from video")


def _rom_definition(angle: AngleName) -> str:
    return (f"Active {angle.value.replace('_', ' ')} measured from video, in degrees, "
            f"neutral-zero method, {angle.plane.value} plane; see hepvision.vocabulary.AngleName "
            "for the sign convention.")


#: The body structure each angle is read at (SNOMED CT; check before relying on it).
BODY_SITE: dict[AngleName, Code] = {
    AngleName.SHOULDER_FLEXION: Code(SNOMED, "16982005", "Shoulder region structure"),
    AngleName.SHOULDER_ABDUCTION: Code(SNOMED, "16982005", "Shoulder region structure"),
    AngleName.ELBOW_FLEXION: Code(SNOMED, "16953009", "Elbow joint structure"),
    AngleName.HIP_FLEXION: Code(SNOMED, "24136001", "Hip joint structure"),
    AngleName.HIP_ABDUCTION: Code(SNOMED, "24136001", "Hip joint structure"),
    AngleName.KNEE_FLEXION: Code(SNOMED, "72696002", "Knee region structure"),
    AngleName.ANKLE_DORSIFLEXION: Code(SNOMED, "70258002", "Ankle joint structure"),
    AngleName.TRUNK_FLEXION: Code(SNOMED, "22943007", "Trunk structure"),
    AngleName.TRUNK_LATERAL_LEAN: Code(SNOMED, "22943007", "Trunk structure"),
    AngleName.PELVIC_DROP: Code(SNOMED, "12921003", "Pelvis structure"),
}

LATERALITY: dict[str, Code] = {"left": LEFT, "right": RIGHT, "both": BILATERAL}


def body_site(angle: AngleName, side: str | None) -> dict[str, Any]:
    """``bodySite`` for an angle on ``side`` (left, right, both; none/None: no laterality)."""
    site = BODY_SITE[angle]
    lateral = LATERALITY.get(side or "")
    out = site.concept(f"{site.display}, {lateral.display.lower()}" if lateral else None)
    if lateral:
        out["extension"] = [{"url": LATERALITY_EXTENSION,
                             "valueCodeableConcept": lateral.concept()}]
    return out


def category(*codes: str) -> list[dict[str, Any]]:
    return [{"coding": [{"system": OBSERVATION_CATEGORY, "code": c}]} for c in codes]


def ucum(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def _code_system(url: str, name: str, title: str, content: str,
                 concepts: list[dict[str, str]]) -> dict[str, Any]:
    return {"resourceType": "CodeSystem", "url": url, "name": name, "title": title,
            "status": "active", "content": content, "caseSensitive": True,
            "publisher": "hepvision", "count": len(concepts), "concept": concepts}


def code_systems() -> list[dict[str, Any]]:
    """The ``rom`` and ``hepvision`` CodeSystems, complete, as R4 CodeSystem resources."""
    rom = [{"code": a.value, "display": rom_code(a).display, "definition": _rom_definition(a)}
           for a in AngleName]
    own = [{"code": c, "display": d, "definition": text}
           for c, (d, text) in LOCAL_CODES.items()]
    return [_code_system(ROM_SYSTEM, "HepvisionRom", "Joint angles measured from video",
                         "complete", rom),
            _code_system(HEPVISION_SYSTEM, "HepvisionObservation",
                         "hepvision observation, component and method codes", "complete", own)]
