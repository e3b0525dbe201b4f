"""Nothing on the message path blocks the event loop: asyncio's debug mode reports every step
that holds the loop longer than a threshold, while one gateway serves every kind of message."""

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from tests.gateway.conftest import form, send

SLOW_S = 0.05  # a blocking database call or a synchronous HTTP request would take longer


def test_the_message_path_never_holds_the_event_loop(gateway, caplog) -> None:
    """A blocking call holds the loop every time it runs; a busy machine now and then holds any
    step once. So the loop must be held in a second round of messages too to count."""
    client = gateway(RATE_LIMIT_PER_SENDER="3/minute")

    def debug_loop() -> None:
        loop = asyncio.get_running_loop()
        loop.set_debug(True)
        loop.slow_callback_duration = SLOW_S

    client.portal.call(asyncio.to_thread, lambda: None)  # warm the default executor
    client.portal.call(_in_loop, debug_loop)
    caplog.set_level(logging.WARNING, logger="asyncio")

    def slow_steps(sender: str) -> list[str]:
        caplog.clear()
        bodies = ["What is the hostel fee per semester?", "wifi name?", "help", "human", "", "x"]
        with ThreadPoolExecutor(8) as pool:
            statuses = list(
                pool.map(lambda b: send(client, form(b, sender=sender)).status_code, bodies)
            )
        client.portal.call(client.app.state.gateway.records.queue.join)
        assert statuses == [200] * len(bodies)
        reports = [r.getMessage() for r in caplog.records if r.name == "asyncio"]
        return [r for r in reports if "took" in r]

    first = slow_steps("+919855500001")
    assert not first or not slow_steps("+919855500002"), first


async def _in_loop(function) -> None:
    function()
