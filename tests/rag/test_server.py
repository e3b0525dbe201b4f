"""The rag service over real gRPC on loopback: Retrieve, health and reflection."""

import shutil
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from prometheus_client import REGISTRY

from collegebot.v1 import common_pb2, rag_pb2, rag_pb2_grpc
from services.rag.server import RagServicer
from tests.conftest import DATA, base_env, run_cli
from tests.rag.test_ingest import _kb_over


@pytest.fixture
def rag(rag_server):
    with grpc.insecure_channel(rag_server.address) as channel:
        yield rag_pb2_grpc.RagStub(channel), channel


def test_retrieve_finds_a_fact_that_only_a_pdf_holds(rag) -> None:
    stub, _ = rag
    response = stub.Retrieve(
        rag_pb2.RetrieveRequest(query="double AC room hostel fee", k=5), timeout=10
    )
    assert response.relevant
    scores = [p.score for p in response.passages]
    assert len(scores) == 5 and scores == sorted(scores, reverse=True)
    hits = [p for p in response.passages if "64,000" in p.text]
    assert hits, [p.text[:80] for p in response.passages]
    assert hits[0].source == "hostel_and_mess.pdf" and hits[0].page >= 1
    assert hits[0].chunk_id and hits[0].title


def test_each_passage_carries_its_sentences_scored_against_the_question(rag) -> None:
    stub, _ = rag
    question = "sunday library timings"
    response = stub.Retrieve(rag_pb2.RetrieveRequest(query=question, k=5), timeout=10)
    listed = [p for p in response.passages if len(p.sentences) > 1]
    assert listed, "no passage of several sentences came back"
    for passage in listed:
        texts = [s.text for s in passage.sentences]
        # In document order: each sentence is found in the passage after the one before it.
        where = [passage.text.find(text) for text in texts]
        assert -1 not in where and where == sorted(where), texts
    hours = next(p for p in response.passages if "Sunday and public holidays" in p.text)
    best = max(hours.sentences, key=lambda s: s.similarity)
    assert "Sunday" in best.text and "Monday" not in best.text
    assert all(-1.0 <= s.similarity <= 1.0 for s in hours.sentences)


def test_retrieve_reads_a_follow_up_with_the_students_earlier_question(rag) -> None:
    stub, _ = rag
    follow_up = "and on friday?"
    alone = stub.Retrieve(rag_pb2.RetrieveRequest(query=follow_up, k=1), timeout=10)
    earlier = [
        common_pb2.Turn(question="library timings", answer="8:00 am to 10:00 pm"),
        common_pb2.Turn(question="hostel gates close at what time", answer="10:00 pm"),
    ]
    with_history = stub.Retrieve(
        rag_pb2.RetrieveRequest(query=follow_up, k=1, history=earlier), timeout=10
    )
    assert "10:30 pm on Friday" not in alone.passages[0].text
    assert "10:30 pm on Friday" in with_history.passages[0].text  # the latest turn sets the topic


def test_an_unrelated_question_is_flagged_as_not_relevant(rag) -> None:
    stub, _ = rag
    response = stub.Retrieve(
        rag_pb2.RetrieveRequest(query="what is the capital of France"), timeout=10
    )
    assert not response.relevant


def test_empty_query_is_an_invalid_argument(rag) -> None:
    stub, _ = rag
    with pytest.raises(grpc.RpcError) as caught:
        stub.Retrieve(rag_pb2.RetrieveRequest(query="  "), timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_health_and_reflection_are_served(rag) -> None:
    _, channel = rag
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "collegebot.v1.Rag"):
        status = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status
        assert status == health_pb2.HealthCheckResponse.SERVING
    reflect = reflection_pb2_grpc.ServerReflectionStub(channel)
    answers = reflect.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5
    )
    names = {s.name for a in answers for s in a.list_services_response.service}
    assert {"collegebot.v1.Rag", "grpc.health.v1.Health"} <= names


def test_ingesting_a_path_that_does_not_exist_is_refused_by_name(rag, rag_server, tmp_path) -> None:
    stub, _ = rag
    with pytest.raises(grpc.RpcError) as caught:
        stub.Ingest(rag_pb2.IngestRequest(paths=["/nowhere/notices"]), timeout=60)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert "/nowhere/notices" in caught.value.details()

    env = base_env(tmp_path) | {"RAG_ADDRESS": rag_server.address}
    cli = run_cli("ingest", "/nowhere/notices", env=env)
    assert cli.returncode == 1
    assert "/nowhere/notices" in cli.stderr and "Traceback" not in cli.stderr


def test_the_chunk_gauge_follows_an_ingestion_by_another_process(tmp_path) -> None:
    """In Kubernetes the setup Job ingests with --local while the replicas already run: their
    gauge used to stay at its start-up value (0), a false "knowledge base empty" alert."""
    (tmp_path / "kb").mkdir()
    shutil.copy(DATA / "library.md", tmp_path / "kb")
    RagServicer(_kb_over(tmp_path, tmp_path / "kb"))  # a replica, started before the Job

    def gauge() -> float | None:
        return REGISTRY.get_sample_value("collegebot_rag_index_chunks")

    assert gauge() == 0
    job = _kb_over(tmp_path, tmp_path / "kb")
    job.ingest()
    deadline = time.monotonic() + 30  # the replica rebuilds its snapshot in the background
    while gauge() != job.chunk_count() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert gauge() == job.chunk_count() > 0
