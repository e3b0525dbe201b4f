"""The record queue is bounded: while the store is unreachable it holds RECORD_QUEUE_SIZE records,
and beyond that the oldest gives way, counted. Its journal (a file of the replica's own under the
state directory) holds the same records, so a gateway killed at any moment loses none."""

import asyncio

from prometheus_client import REGISTRY

from collegebot.store import Outcome, Store
from services.gateway.records import Journal, RecordWriter
from tests.servers import free_port


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels or None) or 0.0


async def test_a_full_queue_drops_the_oldest_record_and_counts_it(tmp_path) -> None:
    store = Store(f"postgresql://bot@127.0.0.1:{free_port()}/nowhere")  # nothing listens there
    writer = RecordWriter(store, capacity=2, journal=Journal(tmp_path))
    await writer.start()
    dropped = sample("collegebot_gateway_records_dropped_total", reason="queue_full")
    pending = sample("collegebot_gateway_records_pending")
    retries = sample("collegebot_gateway_record_write_retries_total")
    for sid in ("SM1", "SM2", "SM3", "SM4"):
        await writer.submit(Outcome(sid, "h", "question", "replied", ["a"]))
        await asyncio.sleep(0.3)  # the writer has taken the first and is retrying it
    assert sample("collegebot_gateway_record_write_retries_total") > retries
    # SM1 is being retried; SM2, the oldest waiting, gave way when SM4 came.
    assert sample("collegebot_gateway_records_dropped_total", reason="queue_full") == dropped + 1
    assert sample("collegebot_gateway_records_pending") == pending + 3
    # The journal is bounded the same way: SM1 (being written), SM3 and SM4.
    assert await writer.journal.count() == 3
    writer.task.cancel()
    waiting = [writer.queue.get_nowait().outcome.message_sid for _ in range(writer.queue.qsize())]
    assert waiting == ["SM3", "SM4"]
    await writer.journal.close()
    await store.close()


async def test_a_record_postgresql_refuses_is_dropped_and_the_rest_are_written(
    postgres, tmp_path
) -> None:
    """asyncpg's refusals (a value too long, a NUL in text: SQLSTATE class 22) reach us as a bare
    DBAPIError: retried forever, one would hold up every record behind it."""
    from collegebot.store import TurnRecord, migrate, sync_engine

    url = postgres.new_database("refusals")
    migrate(url)
    store = Store(url)
    writer = RecordWriter(store, capacity=10, journal=Journal(tmp_path))
    await writer.start()
    dropped = sample("collegebot_gateway_records_dropped_total", reason="invalid")
    for sid, question, masked in [
        ("SMtoolong", "fees?", "+91" + "•" * 40),  # longer than its column
        ("SMnul", "\x00hostel\x00 fee?", "+91•••••0001"),  # a NUL a phone can send
        ("SMfine", "library hours?", "+91•••••0002"),
    ]:
        turn = TurnRecord(sid, "h", masked, question, "answer")
        await writer.submit(Outcome(sid, "h", "question", "replied", ["answer"], turn))
    await asyncio.wait_for(writer.queue.join(), 20)
    assert sample("collegebot_gateway_records_dropped_total", reason="invalid") == dropped + 1
    with sync_engine(url).connect() as c:
        kept = c.exec_driver_sql("SELECT message_sid, question FROM conversations").all()
    assert sorted(kept) == [("SMfine", "library hours?"), ("SMnul", "hostel fee?")]
    assert await writer.journal.count() == 0  # the refused one too: it will never be written
    await writer.drain(1)
    await store.close()


def turn_outcome(sid: str, sender: str = "h") -> Outcome:
    from collegebot.store import TurnRecord

    turn = TurnRecord(sid, sender, "+91•••••0001", f"question {sid}?", f"answer {sid}")
    return Outcome(sid, sender, "question", "replied", [f"answer {sid}"], turn)


def stored_turns(url: str) -> list[str]:
    from collegebot.store import sync_engine

    engine = sync_engine(url)
    with engine.connect() as c:
        rows = c.exec_driver_sql("SELECT message_sid FROM conversations").all()
    engine.dispose()
    return sorted(sid for (sid,) in rows)


async def test_records_a_stopped_writer_left_are_replayed_by_the_next_start_once(
    postgres, tmp_path
) -> None:
    """Stopped while the store is down, without draining (as a kill leaves it), the records stay
    in the journal; the next writer on the same state directory writes each once. One was already
    in the store (killed between the store's commit and the journal's erasure): not again."""
    from collegebot.store import migrate

    url = postgres.new_database("replay")
    migrate(url)
    down = Store(f"postgresql://bot@127.0.0.1:{free_port()}/nowhere")
    first = RecordWriter(down, capacity=10, journal=Journal(tmp_path))
    await first.start()
    for sid in ("SMa", "SMb", "SMc"):
        await first.submit(turn_outcome(sid))
    assert await first.journal.count() == 3
    first.task.cancel()  # no drain: what a kill leaves behind
    await first.journal.close()
    await down.close()

    store = Store(url)
    await store.record(turn_outcome("SMb"))
    again = RecordWriter(store, capacity=10, journal=Journal(tmp_path))
    await again.start()
    assert again.journal.path == first.journal.path  # the same replica's file
    assert again.queued_reply("SMa") == ["answer SMa"]  # a repeat meanwhile gets its reply
    await asyncio.wait_for(again.queue.join(), 20)
    assert stored_turns(url) == ["SMa", "SMb", "SMc"]
    assert await again.journal.count() == 0 and again.queued_reply("SMa") is None
    await again.drain(1)
    await store.close()


async def test_the_journal_is_private_to_its_replica(tmp_path) -> None:
    """Only its owner may read it (it holds students' words), and a second gateway on the same
    state directory takes a file of its own instead of another's records."""
    one, two = Journal(tmp_path / "state"), Journal(tmp_path / "state")
    await one.open()
    await two.open()
    await one.append(turn_outcome("SM1"))
    assert one.path != two.path
    files = sorted((tmp_path / "state").iterdir())
    assert files and all(f.stat().st_mode & 0o777 == 0o600 for f in files), files
    assert all(f.name.startswith("records-") for f in files)
    await one.close()
    three = Journal(tmp_path / "state")
    assert [o.message_sid for _, o in await three.open()] == ["SM1"]  # the freed one
    assert three.path == one.path
    await two.close()
    await three.close()
