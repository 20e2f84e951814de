"""FHIR R4 export of a patient's program and sessions (read-only, JSON dicts).

- :mod:`~hepvision.server.fhir.codes`: code systems and codes (standard and local).
- :mod:`~hepvision.server.fhir.resources`: Patient, CarePlan, ServiceRequest, Device.
- :mod:`~hepvision.server.fhir.observations`: the Observations of one session.
- :mod:`~hepvision.server.fhir.bundle`: the patient's Bundle from the stored records.

Resources are plain dicts; the server needs no FHIR library. The tests validate every resource
with ``fhir.resources`` (its R4B models: no release of it on pydantic 2 ships 4.0.1) and with
``fhirclient`` (models generated from R4 4.0.1), so nothing R4B-only slips in.
"""

from hepvision.server.fhir.bundle import bundle_for, exercise_names, id_namespace, patient_bundle
from hepvision.server.fhir.codes import code_systems

__all__ = ["bundle_for", "code_systems", "exercise_names", "id_namespace", "patient_bundle"]
