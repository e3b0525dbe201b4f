"""Exactly once per MessageSid: repeats, even simultaneous ones and on another replica, get the
first reply and cause no second retrieval or LLM call (counted on the real gRPC servers)."""

from concurrent.futures import ThreadPoolExecutor

from collegebot.asker import reply_text
from tests.gateway.conftest import form, send, settle


def test_a_retried_delivery_gets_the_same_reply_without_a_second_answer(gateway, counted):
    client = gateway()
    params = form("What is the hostel fee per semester?")
    first, again = send(client, params), send(client, params)
    assert first.status_code == again.status_code == 200
    assert "42,000" in reply_text(first.text) and again.text == first.text
    assert counted["rag"].calls["Retrieve"] == 1 and counted["llm"].calls["Respond"] == 1


def test_simultaneous_deliveries_to_one_and_to_two_replicas_are_answered_once(gateway, counted):
    one, two = gateway(), gateway()  # two replicas on one store
    counted["llm"].delay_s = 0.3  # keep the first in flight while the others arrive
    params = form("library timings on weekdays")
    with ThreadPoolExecutor(6) as pool:
        replies = list(pool.map(lambda c: send(c, params), [one, two] * 3))
    assert all(r.status_code == 200 for r in replies)
    texts = {r.text for r in replies}
    assert len(texts) == 1 and "8:00 am" in reply_text(texts.pop())
    assert counted["rag"].calls["Retrieve"] == 1 and counted["llm"].calls["Respond"] == 1
    settle(one)
    settle(two)
