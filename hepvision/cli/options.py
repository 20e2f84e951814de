"""Option texts shared by several commands (no pipeline imports: building the command line must
not load the pose stack, which a server-only install does not have)."""

from __future__ import annotations

#: The ``--model`` help text of every command that takes it.
MODEL_HELP = ("landmark model: auto (default) picks the most accurate bundled variant that "
              "keeps up at the source's frame rate, and its threads, from a short measurement "
              "at start; full-f16 is full without its unused segmentation head (same "
              "landmarks, less CPU); lite and heavy are not in the mediapipe wheel the models "
              "come from")
