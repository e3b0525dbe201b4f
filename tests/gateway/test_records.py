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
