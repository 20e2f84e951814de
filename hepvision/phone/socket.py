"""The landmark WebSocket of the patient page (``/phone/ws``): one connection at a time per
session; a session continues over several connections (see :mod:`hepvision.phone.wire`)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from hepvision.app.protocol import dumps
from hepvision.phone.analysis import PhoneSession
from hepvision.phone.hub import PhoneError, PhoneHub, device_patient, today_program
from hepvision.phone.wire import Hello, WireError, parse_control, parse_frame
from hepvision.server.core.security import Security

log = logging.getLogger(__name__)

Reply = dict[str, Any]
#: WebSocket close code for a refused token (the page asks to enrol again).
UNAUTHORISED = 4401


class PhoneConnection:
    """One WebSocket's messages, applied to the session it opened or resumed."""

    def __init__(self, hub: PhoneHub, security: Security) -> None:
        self.hub = hub
        self.security = security
        self.session: PhoneSession | None = None

    async def on_text(self, text: str) -> list[Reply]:
        msg = parse_control(text)
        if isinstance(msg, Hello):
            return [await self._hello(msg)]
        session = self._require()
        if not session.is_new(msg.seq):
            return [{"type": "status", "seq": msg.seq, "status": session.live.flow.status()}]
        replies = [session.control(msg)]
        return replies + await self._maybe_store(session)

    async def on_bytes(self, data: bytes) -> list[Reply]:
        received_s = time.monotonic()
        frame = parse_frame(data)
        session = self._require()
        if not session.is_new(frame.seq):
            return [{"type": "skipped", "seq": frame.seq, "reason": "already applied",
                     "status": session.live.flow.status()}]
        replies = [session.frame(frame, received_s)]
        return replies + await self._maybe_store(session)

    async def _hello(self, msg: Hello) -> Reply:
        if self.session is not None:
            raise WireError("this connection has already said hello")
        self.hub.sweep()
        with self.hub.sessionmaker() as db:
            patient = device_patient(db, self.security, msg.token)
            if msg.session_id is not None:
                session = self.hub.resume(patient, msg.session_id)
            else:
                session = self.hub.open(patient, today_program(db, patient))
        self.session = session
        opening = session.opening()
        if session.stored:
            opening["summary"] = await asyncio.to_thread(self.hub.store, session)
        return opening

    async def _maybe_store(self, session: PhoneSession) -> list[Reply]:
        if not session.done or session.stored:
            return []
        try:
            return [await asyncio.to_thread(self.hub.store, session, "finished")]
        except (PhoneError, ValidationError, ValueError) as exc:
            log.error("phone session %s could not be stored: %s", session.session_id, exc)
            return [{"type": "error", "message": f"the session could not be stored: {exc}"}]

    def _require(self) -> PhoneSession:
        if self.session is None:
            raise WireError("send hello first")
        return self.session


async def serve(websocket: WebSocket, hub: PhoneHub, security: Security) -> None:
    """Run one connection until the page closes it."""
    await websocket.accept()
    conn = PhoneConnection(hub, security)
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            try:
                if message.get("bytes") is not None:
                    replies = await conn.on_bytes(message["bytes"])
                else:
                    replies = await conn.on_text(message.get("text") or "")
            except WireError as exc:
                replies = [{"type": "error", "message": str(exc)}]
            except PhoneError as exc:
                await websocket.send_text(dumps({"type": "refused", "message": str(exc)}))
                await websocket.close(UNAUTHORISED, "refused")
                break
            except Exception:  # a bug: say so, keep the session (the page retries)
                log.exception("phone session %s: message failed",
                              conn.session.session_id if conn.session else "-")
                await websocket.send_text(dumps({
                    "type": "error", "message": "the server could not handle that message"}))
                await websocket.close(1011, "internal error")
                break
            for reply in replies:
                await websocket.send_text(dumps(reply))
    except WebSocketDisconnect:
        pass
