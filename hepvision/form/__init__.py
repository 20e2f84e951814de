"""Form: the rule engine driven by exercise templates, cue scheduling, offline speech and the
camera-setup checks that run before counting starts."""

from hepvision.form.cues import CueScheduler
from hepvision.form.engine import FormEngine, compile_rules
from hepvision.form.findings import FormFinding
from hepvision.form.setup import SetupChecker, SetupStatus
from hepvision.form.speech import Speaker

__all__ = ["CueScheduler", "FormEngine", "FormFinding", "SetupChecker", "SetupStatus", "Speaker",
           "compile_rules"]
