"""The record queue is bounded: while the store is unreachable it holds RECORD_QUEUE_SIZE records,
and beyond that the oldest gives way, counted."""

import asyncio

from prometheus_client import REGISTRY

from collegebot.store import Outcome, Store
from services.gateway.records import RecordWriter
from tests.servers import free_port


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels or None) or 0.0


async def test_a_full_queue_drops_the_oldest_record_and_counts_it() -> None:
    store = Store(f"postgresql://bot@127.0.0.1:{free_port()}/nowhere")  # nothing listens there
    writer = RecordWriter(store, capacity=2)
    writer.start()
    dropped = sample("collegebot_gateway_records_dropped_total", reason="queue_full")
    pending = sample("collegebot_gateway_records_pending")
    retries = sample("collegebot_gateway_record_write_retries_total")
    for sid in ("SM1", "SM2", "SM3", "SM4"):
        writer.submit(Outcome(sid, "h", "question", "replied", ["a"]))
        await asyncio.sleep(0.3)  # the writer has taken the first and is retrying it
    assert sample("collegebot_gateway_record_write_retries_total") > retries
    # SM1 is being retried; SM2, the oldest waiting, gave way when SM4 came.
    assert sample("collegebot_gateway_records_dropped_total", reason="queue_full") == dropped + 1
    assert sample("collegebot_gateway_records_pending") == pending + 3
    writer.task.cancel()
    waiting = [writer.queue.get_nowait().message_sid for _ in range(writer.queue.qsize())]
    assert waiting == ["SM3", "SM4"]
    await store.close()


async def test_a_record_postgresql_refuses_is_dropped_and_the_rest_are_written(postgres) -> None:
    """asyncpg's refusals (a value too long, a NUL in text: SQLSTATE class 22) reach us as a bare
    DBAPIError: retried forever, one would hold up every record behind it."""
    from collegebot.store import TurnRecord, migrate, sync_engine

    url = postgres.new_database("refusals")
    migrate(url)
    store = Store(url)
    writer = RecordWriter(store, capacity=10)
    writer.start()
    dropped = sample("collegebot_gateway_records_dropped_total", reason="invalid")
    for sid, question, masked in [
        ("SMtoolong", "fees?", "+91" + "•" * 40),  # longer than its column
        ("SMnul", "\x00hostel\x00 fee?", "+91•••••0001"),  # a NUL a phone can send
        ("SMfine", "library hours?", "+91•••••0002"),
    ]:
        turn = TurnRecord(sid, "h", masked, question, "answer")
        writer.submit(Outcome(sid, "h", "question", "replied", ["answer"], turn))
    await asyncio.wait_for(writer.queue.join(), 20)
    assert sample("collegebot_gateway_records_dropped_total", reason="invalid") == dropped + 1
    with sync_engine(url).connect() as c:
        kept = c.exec_driver_sql("SELECT message_sid, question FROM conversations").all()
    assert sorted(kept) == [("SMfine", "library hours?"), ("SMnul", "hostel fee?")]
    writer.task.cancel()
    await store.close()
