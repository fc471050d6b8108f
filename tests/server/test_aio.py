"""``adapters.aio.within``: ``asyncio.timeout`` with its timer armed only once the coroutine
waits on something; the same results, exceptions, timeouts and cancellations."""

from __future__ import annotations

import asyncio

import pytest

from adapters.aio import within


async def test_a_coroutine_that_never_waits_returns_its_value() -> None:
    async def done() -> int:
        return 7

    assert await within(1e-9, done()) == 7


async def test_one_that_waits_gets_its_values_and_the_deadline() -> None:
    async def waits() -> int:
        await asyncio.sleep(0)
        future = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_soon(future.set_result, 5)
        return await future

    assert await within(10, waits()) == 5
    never = asyncio.Event()
    with pytest.raises(TimeoutError):
        await within(0.01, never.wait())  # a real timer: the deadline is the point


async def test_exceptions_pass_through_before_and_after_waiting() -> None:
    async def fails_at_once() -> None:
        raise ValueError("at once")

    async def fails_later() -> None:
        await asyncio.sleep(0)
        raise KeyError("later")

    with pytest.raises(ValueError, match="at once"):
        await within(10, fails_at_once())
    with pytest.raises(KeyError):
        await within(10, fails_later())


async def test_a_cancelled_caller_cancels_the_coroutine() -> None:
    started = asyncio.Event()
    cleaned_up = []

    async def waits_forever() -> None:
        try:
            started.set()
            await asyncio.Event().wait()
        finally:
            cleaned_up.append(True)

    task = asyncio.create_task(within(10, waits_forever()))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cleaned_up == [True]


async def test_an_exception_thrown_in_can_be_handled_inside() -> None:
    async def recovers() -> str:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            return "recovered"
        return "unreachable"

    task = asyncio.create_task(within(10, recovers()))
    await asyncio.sleep(0)
    task.cancel()
    assert await task == "recovered"
