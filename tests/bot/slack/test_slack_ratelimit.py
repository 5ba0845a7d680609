"""Messages to one channel are paced about one per second; other channels are not held up."""

from __future__ import annotations

from bot.slack.ratelimit import ChannelPacer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_a_second_message_to_the_same_channel_waits_its_turn() -> None:
    clock = Clock()
    pacer = ChannelPacer(1.0, clock=clock, sleep=clock.sleep)
    await pacer.wait("C1")
    await pacer.wait("C1")
    await pacer.wait("C1")
    assert clock.slept == [1.0, 1.0]


async def test_different_channels_do_not_wait_for_each_other() -> None:
    clock = Clock()
    pacer = ChannelPacer(1.0, clock=clock, sleep=clock.sleep)
    await pacer.wait("C1")
    await pacer.wait("C2")
    assert clock.slept == []


async def test_a_channel_quiet_for_a_while_sends_at_once() -> None:
    clock = Clock()
    pacer = ChannelPacer(1.0, clock=clock, sleep=clock.sleep)
    await pacer.wait("C1")
    clock.now += 5
    await pacer.wait("C1")
    assert clock.slept == []
