"""Knowledge gaps closed: questions the bot abstained on are grouped by meaning (rag's Group, the
knowledge base's MiniLM), a staff answer becomes a Markdown document that rag ingests at once, the
group is resolved, and the next student who asks is answered from that document."""

import grpc
import pytest
from sqlalchemy import select

from collegebot import staff_answers
from collegebot.asker import reply_text
from collegebot.grpc_client import sync_channel
from collegebot.settings import GapSettings
from collegebot.store import migrate, sync_engine
from collegebot.store.models import Conversation, StaffAnswer
from collegebot.v1 import rag_pb2, rag_pb2_grpc
from services.dashboard.gap_answers import GapDesk, GapsUnavailable
from tests.gateway.conftest import form, send, settle
from tests.servers import until

POOL = ["Is there a swimming pool on campus?", "does the college have a swimming pool"]
PARKING = "Where can I park my motorbike?"


def test_group_gathers_questions_by_meaning(changing_kb) -> None:
    with sync_channel(changing_kb.server.address) as channel:
        rag = rag_pb2_grpc.RagStub(channel)
        texts = [*POOL, PARKING, "is there a pool for swimming at college?", "bike parking?"]
        groups = list(rag.Group(rag_pb2.GroupRequest(texts=texts, similarity=0.6)).groups)
        assert groups[0] == groups[1] == groups[3] and groups[2] == groups[4]
        assert groups[0] != groups[2]
        # A similarity of 1 keeps every wording apart.
        apart = rag.Group(rag_pb2.GroupRequest(texts=texts, similarity=1.0)).groups
        assert len(set(apart)) == len(texts)
        assert list(rag.Group(rag_pb2.GroupRequest()).groups) == []


def test_a_staff_answer_closes_the_gap_for_the_next_student(gateway, changing_kb) -> None:
    client = gateway(**changing_kb.settings)
    changing_kb.kb.emergency("ready?")  # rag's emergency descriptions embedded, not competing
    for n, question in enumerate([*POOL, PARKING]):
        reply = send(client, form(question, sender=f"+9198555200{n:02d}"))
        assert "don't" in reply_text(reply.text).lower(), reply_text(reply.text)  # no answer
    assert "8 am" in reply_text(send(client, form("When does the canteen open?")).text)
    settle(client)

    engine = sync_engine(changing_kb.settings["DATABASE_URL"])
    channel = sync_channel(changing_kb.server.address)
    desk = GapDesk(engine, rag_pb2_grpc.RagStub(channel), GapSettings())
    gaps = desk.open_gaps()
    assert [g.count for g in gaps] == [2, 1]  # most frequent first; the canteen is no gap
    pool = gaps[0]
    assert set(pool.examples()) == set(POOL) and pool.reasons == {"abstained": 2}

    answer = (
        "Yes. The college swimming pool is in the sports complex behind Block C. Students may "
        "swim free from 6 am to 9 am on weekdays with their student ID card."
    )
    old = client.portal.call(client.app.state.gateway.answers.version)
    done = desk.answer([t.conversation_id for t in pool.turns], POOL[0], answer, "Asha Rao")
    assert done.resolved == 2 and done.path.startswith(f"{staff_answers.FOLDER}/")
    text = (changing_kb.data / done.path).read_text()  # rag's folder is writable: kept there
    assert text.startswith(f"# {POOL[0]}") and "Asha Rao" in text and answer in text
    assert [g.examples() for g in desk.open_gaps()] == [[PARKING]]  # resolved
    with engine.connect() as c:
        (written,) = c.execute(select(StaffAnswer)).all()
    assert written.written_by == "Asha Rao" and written.path == done.path

    # The gateway's answer cache asks the store for the knowledge-base version at most once a
    # second (VERSION_CHECK_S): until it has, the reply cached for the old version still goes.
    cache = client.app.state.gateway.answers
    until(lambda: client.portal.call(cache.version) not in (None, old), "the new version")
    response = send(client, form(POOL[1], sender="+919855529999"))
    again = reply_text(response.text)
    assert "sports complex" in again and "6 am" in again, (again, response.headers)
    settle(client)
    with engine.connect() as c:
        sources = c.execute(select(Conversation.sources).order_by(Conversation.id.desc())).first()
    assert any(s["source"] == written.path for s in sources[0]), sources
    channel.close()
    engine.dispose()


def test_nothing_is_resolved_when_rag_cannot_ingest(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'collegebot.db'}"
    migrate(url)
    engine = sync_engine(url)
    with grpc.insecure_channel("127.0.0.1:1") as nowhere:
        desk = GapDesk(engine, rag_pb2_grpc.RagStub(nowhere), GapSettings())
        with pytest.raises(GapsUnavailable, match="did not ingest"):
            desk.answer([1], POOL[0], "Yes.", "Asha Rao")
    with engine.connect() as c:
        assert c.execute(select(StaffAnswer)).all() == []
    engine.dispose()


def _sources(kb, question: str) -> list[str]:
    return [p.source for p in kb.kb.retriever.retrieve(question, 3, "hybrid").passages]


def test_a_staff_answer_lives_in_the_store_where_rag_can_keep_no_file(changing_kb) -> None:
    """Kubernetes: the dashboard and rag share no volume and rag's folder is the image's,
    read-only. The answer goes by its text, is indexed, and a later ingestion of the whole
    folder (a new release, another replica) rebuilds it from the store instead of forgetting it."""
    blocked = changing_kb.data / staff_answers.FOLDER
    blocked.write_text("a file where the folder would be: nothing can be written under it")
    engine = sync_engine(changing_kb.settings["DATABASE_URL"])
    with sync_channel(changing_kb.server.address) as channel:
        desk = GapDesk(engine, rag_pb2_grpc.RagStub(channel), GapSettings())
        answer = "Bicycles and motorbikes park in the shed beside Gate 2, free with a student ID."
        done = desk.answer([], PARKING, answer, "Ravi Iyer")
    assert blocked.is_file()  # nothing was kept in the folder
    assert _sources(changing_kb, "where do I park my bike")[0] == done.path

    blocked.unlink()
    again = {o.path: o.status for o in changing_kb.kb.ingest()}
    assert again[done.path] == "unchanged"  # rebuilt from its row byte for byte: not re-embedded
    assert not (changing_kb.data / done.path).exists()

    # Without its row nothing keeps it: the next ingestion of the folder forgets it.
    with engine.begin() as c:
        c.execute(StaffAnswer.__table__.delete())
    assert {o.path: o.status for o in changing_kb.kb.ingest()}[done.path] == "removed"
    assert done.path not in _sources(changing_kb, "where do I park my bike")
    engine.dispose()


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("canteen.md", "# Canteen\n\nClosed for ever."),  # a college document
        ("staff-answers/../canteen.md", "# Canteen\n\nClosed."),
        ("/etc/staff-answers/x.md", "# X\n\nY."),
        ("staff-answers/deeper/x.md", "# X\n\nY."),
        ("staff-answers/x.pdf", "# X\n\nY."),
        ("staff-answers/x.md", "   "),
        ("staff-answers/x.md", "# X\n\n" + "y" * staff_answers.MAX_CHARS),
    ],
)
def test_rag_takes_a_document_by_its_text_only_as_a_staff_answer(canteen_kb, path, text) -> None:
    with sync_channel(canteen_kb.server.address) as channel:
        request = rag_pb2.IngestRequest(texts=[rag_pb2.DocumentText(path=path, text=text)])
        with pytest.raises(grpc.RpcError) as refused:
            rag_pb2_grpc.RagStub(channel).Ingest(request)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "8 am" in (canteen_kb.data / "canteen.md").read_text()
    assert not (canteen_kb.data / staff_answers.FOLDER).exists()
