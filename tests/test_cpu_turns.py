"""Decoding and pose taking turns on the CPU (issue 17): never at once, given up for good."""

from __future__ import annotations

import threading
import time

import numpy as np

from hepvision.capture.frames import Frame
from hepvision.capture.turns import CpuTurns, taking_turns


def _frames(n: int, inside: list[str], log: list[tuple[str, str]]):
    for i in range(n):
        inside.append("decode")
        log.append(("decode", ",".join(inside)))
        time.sleep(0.002)
        inside.remove("decode")
        yield Frame(np.zeros((4, 4, 3), np.uint8), i * 33, i)


def test_decode_and_analysis_never_run_at_once_while_turns_are_taken() -> None:
    turns = CpuTurns()
    inside: list[str] = []
    log: list[tuple[str, str]] = []
    got: list[int] = []
    ready = threading.Semaphore(0)
    queue: list[Frame] = []

    def reader() -> None:
        for frame in taking_turns(_frames(20, inside, log), turns):
            queue.append(frame)
            ready.release()

    thread = threading.Thread(target=reader)
    thread.start()
    for _ in range(20):
        ready.acquire()
        frame = queue.pop(0)
        with turns.turn():
            inside.append("pose")
            log.append(("pose", ",".join(inside)))
            time.sleep(0.003)
            inside.remove("pose")
        got.append(frame.index)
    thread.join()
    assert got == list(range(20))
    assert all(now == who for who, now in log)  # alone every time
    assert turns.enabled and turns.given_up_reason is None


def test_given_up_turns_let_the_work_overlap() -> None:
    turns = CpuTurns()
    turns.give_up("frame 7 dropped")
    assert not turns.enabled and turns.given_up_reason == "frame 7 dropped"
    with turns.turn(), turns.turn():  # no lock any more: nesting does not block
        pass
    turns.give_up("again")
    assert turns.given_up_reason == "frame 7 dropped"


def test_turns_off_from_the_start() -> None:
    turns = CpuTurns(enabled=False)
    frames = list(taking_turns((Frame(np.zeros((2, 2, 3), np.uint8), i, i) for i in range(3)),
                               turns))
    assert [f.index for f in frames] == [0, 1, 2]
    assert turns.given_up_reason is None
