"""hepvision's shared vocabulary: every word that templates, pipeline, upload format and server
all speak, defined once.

This module imports nothing but the standard library, so anything may import it: the template
schema, the pose pipeline, the wire (upload) format and the therapist server (which never
imports the pipeline). Each word is a closed set (an ``Enum``); its members compare equal to,
hash like and format as their string values (``StrEnum``), so a template file, a JSON body and
a database column hold the plain value (``"caution"``, ``"knee_flexion"``).

- Landmarks: :class:`PoseLandmark` (BlazePose's 33 ids).
- Body sides: :class:`Side` (a reading's side) and :class:`TemplateSide` (the side a template
  or a repetition works).
- Camera views: :class:`View` (what the camera sees, per frame or session) and
  :class:`TemplateView` (what a template needs).
- Signals: :class:`Plane`, :class:`AngleName`, :class:`DistanceName`, :class:`MeasureName`,
  their :class:`Unit`, and :class:`Unmeasurable` (why a reading is NaN).
- Counting: :class:`CounterKind`. Judging form: :class:`Severity`.
- Pain: the 0-10 numeric rating scale (NRS) bounds and the default pain stop.
- Pose backends: :class:`PoseBackend`.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class PoseLandmark(IntEnum):
    """BlazePose's 33 landmark ids (the same order as MediaPipe's ``PoseLandmark``)."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


class Side(StrEnum):
    """Body side of a reading (the patient's own left / right)."""

    LEFT = "left"
    RIGHT = "right"


class TemplateSide(StrEnum):
    """The side an exercise template (or one repetition of it) works.

    LEFT / RIGHT: that side only. BOTH: both sides together (a squat). ALTERNATING: one side,
    then the other, each repetition counted on its side (a lunge). EITHER: one side, not said
    in advance: the working side is found from the movement (the side that moves most).
    """

    LEFT = "left"
    RIGHT = "right"
    BOTH = "both"
    ALTERNATING = "alternating"
    EITHER = "either"


class View(StrEnum):
    """Which way the camera sees the body. SIDE_LEFT: the patient's left side faces the camera."""

    FRONT = "front"
    SIDE_LEFT = "side_left"
    SIDE_RIGHT = "side_right"
    OBLIQUE = "oblique"
    UNKNOWN = "unknown"

    @property
    def is_side(self) -> bool:
        return self in (View.SIDE_LEFT, View.SIDE_RIGHT)


class TemplateView(StrEnum):
    """The camera view a template needs: FRONT, SIDE (either side) or ANY."""

    FRONT = "front"
    SIDE = "side"
    ANY = "any"


class Plane(StrEnum):
    """Anatomical plane a motion happens in."""

    SAGITTAL = "sagittal"
    FRONTAL = "frontal"
    LIMB = "limb"  # hinge joints (elbow): the plane of the two segments, wherever it points


class Unit(StrEnum):
    """Unit of a signal: degrees, a dimensionless ratio, metres, seconds (held)."""

    DEG = "deg"
    RATIO = "ratio"
    M = "m"
    S = "s"


class AngleName(StrEnum):
    """The closed set of clinical angles hepvision measures (neutral-zero, degrees).

    Sign conventions (positive direction first):
        shoulder_flexion: humerus forward/up against the trunk line; extension negative. Sagittal.
        shoulder_abduction: humerus sideways/up against the trunk line; adduction negative. Frontal.
        elbow_flexion: 180 - interior(shoulder, elbow, wrist); 0 = straight. Limb plane.
        hip_flexion: thigh forward against the trunk line (reference: trunk); extension negative.
        hip_abduction: thigh away from the midline against the pelvis; adduction negative.
        knee_flexion: 180 - interior(hip, knee, ankle), negative when hyperextended. Sagittal.
        ankle_dorsiflexion: foot (heel to toe) against the shank, 0 with the foot at 90 deg to the
            shank; plantarflexion negative. Sagittal.
        trunk_flexion: trunk line (hip to shoulder) forward of the vertical; extension negative.
            Gravity-referenced (assumes a level camera). Sagittal; not sided (both sides give it).
        trunk_lateral_lean: trunk line toward the reading's side, off the vertical. Frontal;
            gravity-referenced.
        pelvic_drop: the reading's side hip below the other, pelvis line against the horizontal.
            Frontal; gravity-referenced.
    """

    SHOULDER_FLEXION = "shoulder_flexion"
    SHOULDER_ABDUCTION = "shoulder_abduction"
    ELBOW_FLEXION = "elbow_flexion"
    HIP_FLEXION = "hip_flexion"
    HIP_ABDUCTION = "hip_abduction"
    KNEE_FLEXION = "knee_flexion"
    ANKLE_DORSIFLEXION = "ankle_dorsiflexion"
    TRUNK_FLEXION = "trunk_flexion"
    TRUNK_LATERAL_LEAN = "trunk_lateral_lean"
    PELVIC_DROP = "pelvic_drop"

    @property
    def plane(self) -> Plane:
        return ANGLE_PLANE[self]

    @property
    def unit(self) -> Unit:
        return Unit.DEG

    @property
    def gravity_referenced(self) -> bool:
        """True for angles measured against the vertical (not invariant to camera roll)."""
        return self in (
            AngleName.TRUNK_FLEXION, AngleName.TRUNK_LATERAL_LEAN, AngleName.PELVIC_DROP
        )


ANGLE_PLANE: dict[AngleName, Plane] = {
    AngleName.SHOULDER_FLEXION: Plane.SAGITTAL,
    AngleName.SHOULDER_ABDUCTION: Plane.FRONTAL,
    AngleName.ELBOW_FLEXION: Plane.LIMB,
    AngleName.HIP_FLEXION: Plane.SAGITTAL,
    AngleName.HIP_ABDUCTION: Plane.FRONTAL,
    AngleName.KNEE_FLEXION: Plane.SAGITTAL,
    AngleName.ANKLE_DORSIFLEXION: Plane.SAGITTAL,
    AngleName.TRUNK_FLEXION: Plane.SAGITTAL,
    AngleName.TRUNK_LATERAL_LEAN: Plane.FRONTAL,
    AngleName.PELVIC_DROP: Plane.FRONTAL,
}


class DistanceName(StrEnum):
    """Normalised distances a template may count instead of an angle (dimensionless).

        heel_lift: heel above the toe (image vertical), divided by the shank length.
        wrist_height: wrist above the shoulder (image vertical), divided by the trunk length.
        hip_height: hip above the ankle (image vertical), divided by the thigh length
            (bridges: lying on the back, side view).
    """

    HEEL_LIFT = "heel_lift"
    WRIST_HEIGHT = "wrist_height"
    HIP_HEIGHT = "hip_height"

    @property
    def unit(self) -> Unit:
        return Unit.RATIO


class MeasureName(StrEnum):
    """The closed set of form measures (defined in :mod:`hepvision.kinematics.measures`)."""

    KNEE_VALGUS = "knee_valgus"
    HIP_SAG = "hip_sag"
    TRUNK_INCLINE = "trunk_incline"
    SHOULDER_ELEVATION = "shoulder_elevation"
    KNEE_SEPARATION = "knee_separation"
    SHOULDER_EXTERNAL_ROTATION = "shoulder_external_rotation"
    TRUNK_ROTATION = "trunk_rotation"

    @property
    def unit(self) -> Unit:
        """Degrees, a dimensionless ratio (knee separation) or metres (shoulder elevation)."""
        if self is MeasureName.SHOULDER_ELEVATION:
            return Unit.M
        return Unit.RATIO if self is MeasureName.KNEE_SEPARATION else Unit.DEG

    @property
    def plane(self) -> Plane | None:
        """The body plane the measure needs the camera to face (None: read from any view)."""
        if self in (MeasureName.KNEE_VALGUS, MeasureName.SHOULDER_ELEVATION):
            return Plane.FRONTAL
        return None


class Unmeasurable(StrEnum):
    """Why a reading is NaN."""

    NO_POSE = "no_pose"
    NOT_VISIBLE = "landmarks_not_visible"
    WRONG_VIEW = "view_cannot_show_plane"
    OUT_OF_PLANE = "segment_out_of_plane"
    DEGENERATE = "degenerate_geometry"
    FORESHORTENED = "segment_foreshortened"


class CounterKind(StrEnum):
    """What a template's counter counts: repetitions of an angle, a normalised distance or a
    form measure crossing thresholds, or the seconds of a timed hold."""

    ANGLE = "angle"
    DISTANCE = "distance"
    MEASURE = "measure"
    HOLD = "hold"


class ReadingSource(StrEnum):
    """Which landmarks a measurement came from.

    IMAGE: 2D image positions (the view shows the plane, the segments square on). WORLD: 3D
    world landmarks (monocular depth). REACH: a hinge angle estimated from the distance between
    its end points (counting only, never ROM). MIXED: several sources over a repetition's peak.
    NONE: nothing was measurable.
    """

    IMAGE = "image"
    WORLD = "world"
    REACH = "reach"
    MIXED = "mixed"
    NONE = "none"


class CountConfidence(StrEnum):
    """How far a set's count agrees with the template-free counter: HIGH (equal), MEDIUM (off
    by one), LOW (further apart, or the counted signal mostly out of view)."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class CountMethod(StrEnum):
    """Which counter a count (or a repetition) comes from: the template's, or the
    template-free counter's when the template's signal was mostly out of view."""

    TEMPLATE = "template"
    TEMPLATE_FREE = "template_free"


class Severity(StrEnum):
    """How much a form finding matters, from a template's rule to the therapist's report.

    INFO: a tip (tempo, depth short of the target). CAUTION: a fault to correct (knee valgus,
    trunk lean). STOP: stop the exercise (a precaution breached, e.g. a ROM cap).
    """

    INFO = "info"
    CAUTION = "caution"
    STOP = "stop"


#: The 0-10 numeric rating scale (NRS) of pain: 0 no pain, 10 the worst imaginable.
PAIN_NRS_MIN = 0
PAIN_NRS_MAX = 10
#: The lowest pain stop: a stop at 0 would end every set, pain or none.
PAIN_STOP_NRS_MIN = 1
#: The pain stop when nobody set one (the templates' default): a rating at or above it ends
#: the set.
DEFAULT_PAIN_STOP_NRS = 5


class PoseBackend(StrEnum):
    """Pose backends by name: ``onnx`` (default), ``mediapipe``, ``replay`` (a recording)."""

    ONNX = "onnx"
    MEDIAPIPE = "mediapipe"
    REPLAY = "replay"


#: Backends that run a model (the ``--backend`` choices of a camera or video run).
MODEL_BACKENDS: tuple[str, ...] = (PoseBackend.ONNX.value, PoseBackend.MEDIAPIPE.value)
#: Every backend (the ``--backend`` choices of ``track``).
BACKENDS: tuple[str, ...] = tuple(b.value for b in PoseBackend)


class PoseModel(StrEnum):
    """A landmark model choice (``--model``): a BlazePose variant, or ``auto`` (the most
    accurate bundled variant that keeps up, chosen by measurement at start; see
    :mod:`hepvision.pose.variants`)."""

    AUTO = "auto"
    LITE = "lite"
    FULL = "full"
    HEAVY = "heavy"
    FULL_F16 = "full-f16"


#: The ``--model`` choices.
MODEL_CHOICES: tuple[str, ...] = tuple(m.value for m in PoseModel)
