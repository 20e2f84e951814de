"""The patient page's WebSocket in ``hepvision app`` (``/phone/ws`` on this machine).

The page is the phone's page (``hepvision/phone/static``) in its local mode: no enrolment
(this process runs on the patient's own machine), the plans from the app's settings, and the
session saved as the app saves it (a report file in ``out_dir``, then ``on_saved``). Its
messages are the phone's (:mod:`hepvision.phone.wire`: numbered controls, a ``session`` reply
with the last ``seq`` applied), except the hello, which names the picked exercise and the
pose source instead of a device token:

- ``pose = "browser"``: the page runs the pose and sends landmark frames; they feed a
  :class:`~hepvision.phone.analysis.PhoneSession`, as on the therapist's server;
- ``pose = "server"``: the page sends JPEG frames (:mod:`hepvision.app.protocol`) and this
  process runs the pose backend on them (:class:`~hepvision.app.session.BrowserSession`).

Either way one :class:`~hepvision.live.session.LiveSession` analyses the set, and the replies
are the shapes of :mod:`hepvision.app.replies`. The session ends with its socket (closing the
page keeps what was done); a page that reconnects to a saved session is sent its summary.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from hepvision.app.config import AppSettings, PoseSource
from hepvision.app.protocol import ProtocolError
from hepvision.app.replies import Reply, error
from hepvision.app.session import BrowserSession, chosen_plans, local_summary, save_session
from hepvision.live.flow import SessionFlow
from hepvision.phone.analysis import PhoneSession, apply_control
from hepvision.phone.wire import Pain, Simple, WireError, parse_frame, validated_json

log = logging.getLogger(__name__)

#: How many saved sessions' summaries are kept for a page that reconnects.
KEPT = 64


class LocalHello(BaseModel):
    """The first message of a connection: the exercise picked (None: the program, or the
    only one offered), the pose source, and the session to resume (None: a new one)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["hello"]
    pose: PoseSource
    exercise: str | None = Field(None, max_length=64)
    session_id: uuid.UUID | None = None


_TEXT: TypeAdapter[LocalHello | Pain | Simple] = TypeAdapter(
    Annotated[LocalHello | Pain | Simple, Field(discriminator="type")])


def parse_text(text: str) -> LocalHello | Pain | Simple:
    """A text message of the local page.

    Raises:
        ProtocolError: not JSON, an unknown type, or a bad field (the message says which).
    """
    return validated_json(_TEXT, text, ProtocolError)


class LocalSession:
    """One connection of the local page and the session it runs; ``close()`` must be awaited.

    Args:
        settings: the app's settings (what is offered, where records go).
        saved: summaries of the sessions saved so far, by session id (shared by the app's
            connections; a reconnecting page gets its summary from there).
    """

    def __init__(self, settings: AppSettings, saved: dict[str, Reply]) -> None:
        self.settings = settings
        self.saved = saved
        self.phone: PhoneSession | None = None
        self.jpeg: BrowserSession | None = None
        self.received = -1
        self.summary: Reply | None = None

    @property
    def flow(self) -> SessionFlow:
        if self.phone is not None:
            return self.phone.live.flow
        if self.jpeg is not None and self.jpeg.live is not None:
            return self.jpeg.live.flow
        raise ProtocolError("send hello first")

    async def on_text(self, text: str) -> list[Reply]:
        try:
            msg = parse_text(text)
            if isinstance(msg, LocalHello):
                return [await self._hello(msg)]
            flow = self.flow
            self.received = max(self.received, msg.seq)
            apply_control(flow, msg)
        except ProtocolError as exc:
            return [error(str(exc))]
        return [{"type": "status", "seq": msg.seq, "status": flow.status()},
                *self._save_if_done()]

    async def on_bytes(self, data: bytes) -> list[Reply]:
        if self.jpeg is not None:
            replies = await self.jpeg.on_frame(data)
            self.received = max([self.received, *(r.get("seq", -1) for r in replies)])
            if self.jpeg.save_error is None and self.jpeg.record is not None:
                self.summary = self.jpeg.summary()
                self._remember()
            return replies
        received_s = time.monotonic()
        try:
            flow = self.flow
            frame = parse_frame(data)
        except (ProtocolError, WireError) as exc:
            return [error(str(exc))]
        assert self.phone is not None and flow is self.phone.live.flow
        self.received = max(self.received, frame.seq)
        return [self.phone.frame(frame, received_s), *self._save_if_done()]

    async def close(self) -> None:
        """The page went away: a session under way is stopped and saved as it is (as long
        as it got past the first pain question)."""
        if self.jpeg is not None:
            await self.jpeg.close()
            if self.jpeg.record is not None and self.summary is None:
                self.summary = self.jpeg.summary()
                self._remember()
            return
        if self.phone is None or self.summary is not None:
            return
        flow = self.flow
        flow.stop("page closed")
        flow.skip_pain()
        if flow.finished or flow.pain_before is not None:
            self._save("page closed")

    async def _hello(self, msg: LocalHello) -> Reply:
        if self.phone is not None or self.jpeg is not None:
            raise ProtocolError("this connection has already said hello")
        if msg.session_id is not None:
            return self._resumed(str(msg.session_id))
        if msg.pose == "server":
            jpeg = BrowserSession(self.settings)
            try:
                opening = await jpeg.start(msg.exercise)
            except ProtocolError:
                await jpeg.close()
                raise
            self.jpeg = jpeg
            return opening
        plans, version = chosen_plans(self.settings, msg.exercise)
        self.phone = PhoneSession(None, plans, version)
        log.info("local session %s started (pose in the browser): %s",
                 self.phone.session_id, ", ".join(p.template.id for p in plans))
        return self.phone.opening()

    def _resumed(self, session_id: str) -> Reply:
        summary = self.saved.get(session_id)
        if summary is None:
            return {"type": "refused",
                    "message": "that session ended when the page closed; start a new one"}
        return {"type": "session", "session_id": session_id, "received": 2**31,
                "plans": [], "connections": [], "status": summary["status"],
                "summary": summary}

    def _save_if_done(self) -> list[Reply]:
        if self.summary is not None or not self.flow.done:
            return []
        if self.jpeg is not None:
            replies = self.jpeg.save()
            if self.jpeg.record is not None:
                self.summary = self.jpeg.summary()
                self._remember()
            return replies
        return self._save("finished")

    def _save(self, reason: str) -> list[Reply]:
        assert self.phone is not None
        try:
            record = self.phone.finish(reason)
            path, saved = save_session(self.settings, record)
        except (ValueError, OSError) as exc:  # pydantic's ValidationError is a ValueError
            log.error("the session could not be saved: %s", exc)
            return [error(f"the session could not be saved: {exc}")]
        self.summary = local_summary(record, saved, path, self.flow.status())
        self._remember()
        return [self.summary]

    def _remember(self) -> None:
        assert self.summary is not None
        self.saved[self.summary["session_id"]] = self.summary
        while len(self.saved) > KEPT:
            self.saved.pop(next(iter(self.saved)))


def describe_offer(settings: AppSettings) -> dict[str, Any]:
    """What the page offers before a session: the program (run as a whole) or exercises to
    pick from, each with its dosage, instructions, camera set-up and gauge."""
    from hepvision.app.replies import describe_plan
    from hepvision.app.session import offered_plans

    return {"mode": "program" if settings.program else "pick",
            "version": settings.prescription_version, "pose": settings.pose,
            "plans": [describe_plan(p) for p in offered_plans(settings)]}
