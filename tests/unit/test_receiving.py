"""One chat's updates in order, chats side by side; flood control per sender."""

from __future__ import annotations

import asyncio

from bot.engines.receiving import ChatLanes, Payload, chat_of
from bot.throttle import Admission, FloodGuard


async def test_one_chats_updates_run_in_order_while_other_chats_go_on() -> None:
    started: list[tuple[int, int]] = []
    release_first = asyncio.Event()

    async def process(payload: Payload) -> None:
        started.append((payload["chat"], payload["n"]))
        if payload == {"chat": 1, "n": 0}:
            await release_first.wait()

    lanes = ChatLanes(process)
    for n in range(3):
        lanes.submit(1, {"chat": 1, "n": n})
    lanes.submit(2, {"chat": 2, "n": 0})
    for _ in range(5):
        await asyncio.sleep(0)
    assert started == [(1, 0), (2, 0)]  # chat 1 waits for its first; chat 2 does not
    release_first.set()
    await lanes.drain()
    assert [n for chat, n in started if chat == 1] == [0, 1, 2]


async def test_a_failing_update_does_not_stop_the_chats_later_ones() -> None:
    done: list[int] = []

    async def process(payload: Payload) -> None:
        if payload["n"] == 0:
            raise RuntimeError("poison")
        done.append(payload["n"])

    lanes = ChatLanes(process)
    for n in range(3):
        lanes.submit(7, {"n": n})
    await lanes.drain()
    assert done == [1, 2]


def test_an_update_belongs_to_the_chat_of_its_message_or_pressed_message() -> None:
    message = {"update_id": 1, "message": {"chat": {"id": 5}, "from": {"id": 5}}}
    press = {"update_id": 2, "callback_query": {"from": {"id": 6}, "message": {"chat": {"id": 9}}}}
    gone = {"update_id": 3, "callback_query": {"from": {"id": 6}}}
    assert [chat_of(message), chat_of(press), chat_of(gone)] == [5, 9, 6]


def test_a_flood_is_warned_once_then_dropped_and_admitted_again_after_a_pause() -> None:
    guard = FloodGuard(rate=2, burst=5)
    verdicts = [guard.admit(1, 0.0) for _ in range(8)]
    assert verdicts == [Admission.ADMIT] * 5 + [Admission.WARN] + [Admission.DROP] * 2
    assert guard.admit(2, 0.0) is Admission.ADMIT  # someone else is not slowed
    assert guard.admit(1, 0.5) is Admission.ADMIT  # one more token a half-second later
    assert guard.admit(1, 0.5) is Admission.DROP
    assert [guard.admit(1, 10.0) for _ in range(5)] == [Admission.ADMIT] * 5
    assert guard.admit(1, 10.0) is Admission.WARN  # a new flood is warned about again


def test_idle_senders_are_forgotten() -> None:
    guard = FloodGuard(rate=2, burst=5)
    guard.admit(1, 0.0)
    guard.admit(2, 9.8)
    guard.forget_idle(10.0)
    assert guard.admit(1, 10.0) is Admission.ADMIT
    assert set(guard._buckets) == {1, 2}  # 1 anew; 2 had not filled up yet


def test_a_clock_set_back_does_not_count_as_a_flood() -> None:
    guard = FloodGuard(rate=2, burst=5)
    assert guard.admit(1, 100.0) is Admission.ADMIT
    assert [guard.admit(1, 10.0) for _ in range(4)] == [Admission.ADMIT] * 4
