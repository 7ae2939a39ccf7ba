"""The gate the recycler closes: appends to a closed topic wait, others pass, nothing fails."""

from __future__ import annotations

import asyncio

from infra.append_gate import AppendGate


async def _append(gate: AppendGate, sizes: dict[str, int], done: list[str], name: str) -> None:
    async with gate.appending(sizes):
        done.append(name)


async def test_appends_to_a_closed_topic_wait_until_it_opens_and_others_pass() -> None:
    gate = AppendGate(["raw"])
    done: list[str] = []
    await gate.close("raw")
    held = asyncio.create_task(_append(gate, {"raw": 10, "control": 5}, done, "raw"))
    await _append(gate, {"control": 5}, done, "control")
    await asyncio.sleep(0.05)
    assert done == ["control"]
    assert not held.done()
    await gate.open("raw")
    await held
    assert done == ["control", "raw"]
    assert gate.appended() == 10  # only the gated topics' bytes are counted
    gate.reset()
    assert gate.appended() == 0


async def test_closing_waits_for_the_appends_under_way() -> None:
    gate = AppendGate(["raw"])
    acked = asyncio.Event()

    async def slow_append() -> None:
        async with gate.appending({"raw": 1}):
            await acked.wait()

    under_way = asyncio.create_task(slow_append())
    await asyncio.sleep(0.01)
    closing = asyncio.create_task(gate.close("raw"))
    await asyncio.sleep(0.05)
    assert not closing.done()
    acked.set()
    await asyncio.wait_for(closing, 1)
    await under_way


async def test_a_failed_append_is_not_counted_and_does_not_block_the_gate() -> None:
    gate = AppendGate(["raw"])
    try:
        async with gate.appending({"raw": 7}):
            raise OSError("broker gone")
    except OSError:
        pass
    await asyncio.wait_for(gate.close("raw"), 1)
    assert gate.appended() == 0
