"""Rate limits per sender and for everyone, in memory or shared by replicas through Redis."""

import asyncio
import re

from collegebot.asker import reply_text
from services.gateway import throttle
from services.gateway.throttle import SWEEP_EVERY_S, Throttle
from tests.gateway.conftest import answered_within, form, frozen, send

WHEN = re.compile(r"Please try again in about (\d+) seconds?\.")


def replies(client, sender: str, n: int) -> list[str]:
    return [reply_text(send(client, form(f"library q{i}", sender=sender)).text) for i in range(n)]


def test_the_global_limit_tells_each_sender_once_when_to_come_back(gateway, counted) -> None:
    client = gateway(RATE_LIMIT_PER_SENDER="100/minute", RATE_LIMIT_GLOBAL="3/minute")
    first = replies(client, "+919811100001", 3)
    assert all("try again" not in r for r in first)
    told, ignored = replies(client, "+919811100001", 2)
    assert told.startswith("Lots of students are messaging me right now.")
    assert 1 <= int(WHEN.search(told).group(1)) <= 60 and ignored == ""
    # Another student is told too (once), and nothing more reaches rag or llm.
    other = replies(client, "+919811100002", 2)
    assert WHEN.search(other[0]) and other[1] == ""
    assert counted["llm"].calls["Respond"] == 3


def test_redis_shares_the_limit_between_replicas(gateway, redis_server, monkeypatch) -> None:
    # What is shared is the question here, not the bound on a hung Redis (tested below): on a
    # loaded machine a first script load can take longer than that bound, and the message passes.
    monkeypatch.setattr(throttle, "LIMITER_WAIT_S", 10.0)
    settings = {"RATE_LIMIT_PER_SENDER": "4/minute", "REDIS_URL": redis_server.url}
    one, two = gateway(**settings), gateway(**settings)
    sender = "+919822200001"
    answered = replies(one, sender, 2) + replies(two, sender, 2)
    assert all("try again" not in r for r in answered)
    told = reply_text(send(one, form("one more", sender=sender)).text)
    assert told.startswith("You're sending messages faster") and WHEN.search(told)
    assert reply_text(send(two, form("and another", sender=sender)).text) == ""


def test_in_memory_limits_are_per_replica(gateway) -> None:
    """What REDIS_URL is for: without it each replica counts alone."""
    one, two = gateway(RATE_LIMIT_PER_SENDER="2/minute"), gateway(RATE_LIMIT_PER_SENDER="2/minute")
    sender = "+919822200002"
    assert all("try again" not in r for r in replies(one, sender, 2) + replies(two, sender, 2))
    # Each replica still limits on its own: a third message to either is one too many.
    assert WHEN.search(reply_text(send(one, form("one more", sender=sender)).text))


async def test_in_memory_limits_sweep_expired_entries_once_a_second(monkeypatch) -> None:
    """The library would sweep every key, each by a worker-thread hop, after every hit."""
    hops = []
    to_thread = asyncio.to_thread

    async def counted_hop(function, *args):
        hops.append(function)
        return await to_thread(function, *args)

    monkeypatch.setattr(asyncio, "to_thread", counted_hop)
    throttle = Throttle("1/second", "1000/second")
    storage = throttle.storage
    storage.clock = lambda: 100.0  # the sweep's clock holds still however slow the machine is
    for i in range(50):  # 50 students within the same sweep second
        assert (await throttle.check(f"student-{i}")).allowed
        await asyncio.sleep(0.005)
    assert len(hops) == 2  # one sweep, of the two keys there were at the first hit
    assert len(storage.events) == 51  # each student's window and everyone's
    await asyncio.sleep(1.0)  # every entry of the 1/second windows expired
    storage.clock = lambda: 100.0 + SWEEP_EVERY_S  # and the next sweep is due
    assert (await throttle.check("student-0")).allowed  # and the window moved on
    await asyncio.sleep(0.1)  # the sweep this hit started
    assert len(throttle.storage.events) == 2  # student-0's new entry and everyone's


def test_a_hung_redis_lets_the_message_through_in_time(gateway, redis_server, caplog) -> None:
    client = gateway(REDIS_URL=redis_server.url)
    with frozen(redis_server.process.pid):
        # Well inside Twilio's 15 s; before the bound the webhook waited for Redis forever.
        response = answered_within(10, client, form("library timings on weekdays"))
    assert "8:00 am" in reply_text(response.text)
    # The log says Redis was slow, whatever the library raised when its wait was cut short.
    assert f"rate limiter unavailable (no answer in {throttle.LIMITER_WAIT_S} s)" in caplog.text
