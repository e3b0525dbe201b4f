"""Commands are answered before any AI: help, a human, deleting one's data, stop."""

import sqlite3

from collegebot.asker import reply_text
from collegebot.store import escalations, sync_engine
from tests.gateway.conftest import answered_within, cluster_pids, form, frozen, send, settle

STUDENT = "+919833300001"


def say(client, body: str, sender: str = STUDENT, **extra) -> str:
    response = send(client, form(body, sender=sender, **extra))
    assert response.status_code == 200
    return reply_text(response.text)


def count(db, table: str) -> int:
    with sqlite3.connect(db) as connection:
        return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_help_and_stop_are_answered_without_rag_or_llm(gateway, counted) -> None:
    client = gateway()
    assert "*human*" in say(client, "Help") and "*delete my data*" in say(client, " MENU! ")
    assert "won't send you anything" in say(client, "stop")
    assert counted["rag"].calls["Retrieve"] == 0 and counted["llm"].calls["Respond"] == 0
    assert "42,000" in say(client, "help me with the hostel fee per semester")  # a question


def test_asking_for_a_human_records_an_escalation_staff_can_list(gateway, env) -> None:
    client = gateway(COLLEGE_OFFICE_HOURS="Mon-Sat 10:00-16:00", COLLEGE_HELPDESK="the desk (0123)")
    reply = say(client, "agent")
    assert "Mon-Sat 10:00-16:00" in reply and "the desk (0123)" in reply
    settle(client)
    listed = escalations(sync_engine(f"sqlite:///{env / 'collegebot.db'}"))
    assert [(e.reason, e.sender_masked, e.status) for e in listed] == [
        ("requested", "+91•••••0001", "open")
    ]
    assert STUDENT not in listed[0].sender_hash


def test_a_person_asked_for_in_words_is_requested_and_only_an_emergency_is_urgent(
    gateway, env
) -> None:
    # Not the command but a sentence: the llm service reads it as a request for a person.
    client = gateway()
    asked = say(client, "can I talk to a real person please", sender="+919833300003")
    assert asked == say(client, "human", sender="+919833300005")  # the command's hand-off
    say(client, "I am being ragged by seniors in the hostel", sender="+919833300004")
    settle(client)
    listed = escalations(sync_engine(f"sqlite:///{env / 'collegebot.db'}"))
    assert sorted((e.sender_masked, e.reason) for e in listed) == [
        ("+91•••••0003", "requested"),
        ("+91•••••0004", "urgent"),
        ("+91•••••0005", "requested"),
    ]


def test_delete_my_data_asks_to_confirm_then_erases_every_record_of_that_sender(
    gateway, env
) -> None:
    client, db = gateway(), env / "collegebot.db"
    say(client, "library timings on weekdays")
    say(client, "human")
    say(client, "wifi name?", sender="+919833300002")  # another student stays
    assert "first send *delete my data*" in say(client, "confirm delete")
    assert "*confirm delete*" in say(client, "Delete my data")
    settle(client)
    assert count(db, "conversations") == 2 and count(db, "escalations") == 1
    assert "erased" in say(client, "confirm delete")
    settle(client)
    with sqlite3.connect(db) as connection:
        hashes = {h for (h,) in connection.execute("SELECT sender_hash FROM deliveries")}
        hashes |= {h for (h,) in connection.execute("SELECT sender_hash FROM conversations")}
    me = client.app.state.gateway.pseudonyms.hash(STUDENT)
    assert me not in hashes and len(hashes - {""}) == 1
    assert count(db, "conversations") == 1 and count(db, "escalations") == 0
    assert count(db, "performance_metrics") == 3  # the other student's stages only
    assert "first send" in say(client, "confirm delete")  # nothing pending any more


def test_confirming_a_delete_while_the_store_hangs_says_it_cannot_erase_now(
    database, gateway
) -> None:
    client = gateway(DATABASE_URL=database.url())
    assert "*confirm delete*" in say(client, "Delete my data")
    with frozen(*cluster_pids(database)):
        # Well inside Twilio's 15 s; before the bound the webhook waited for the store forever.
        response = answered_within(10, client, form("confirm delete", sender=STUDENT))
    assert reply_text(response.text) == client.app.state.gateway.replies.delete_unavailable


def test_media_only_messages_get_a_polite_text_only_reply(gateway, counted) -> None:
    client = gateway()
    reply = say(client, "", NumMedia="2", MediaContentType0="image/jpeg")
    assert "only read text" in reply and "type your question" in reply
    assert counted["llm"].calls["Respond"] == 0


def test_confirming_at_once_erases_what_is_still_waiting_to_be_recorded(gateway, env) -> None:
    # Records are written just after each reply: the question and the request to delete may not
    # be in the store yet when the confirmation comes. They are waited for, then erased.
    client, db = gateway(), env / "collegebot.db"
    say(client, "library timings on weekdays")
    say(client, "Delete my data")
    assert "erased" in say(client, "confirm delete")
    settle(client)
    me = client.app.state.gateway.pseudonyms.hash(STUDENT)
    with sqlite3.connect(db) as connection:
        left = connection.execute(
            "SELECT count(*) FROM conversations WHERE sender_hash = ?", (me,)
        ).fetchone()[0]
        left += connection.execute(
            "SELECT count(*) FROM deliveries WHERE sender_hash = ?", (me,)
        ).fetchone()[0]
    assert left == 0
    # Nor is anything left in the journal that a restart would replay.
    assert client.portal.call(client.app.state.gateway.records.journal.count) == 0
