"""The labelled sets of tests/eval: classification, and prompt injection through the real llm
gRPC server, offline and with a Groq stand-in that echoes the system prompt back."""

from __future__ import annotations

import json
from pathlib import Path

import grpc
import pytest

from collegebot.settings import GroqSettings, InstitutionSettings
from collegebot.text import states_fact
from collegebot.v1 import llm_pb2, llm_pb2_grpc
from services.llm.classify import classify
from services.llm.evaluation import rules_broken
from services.llm.generate import ChatGenerator
from services.llm.prompts import PromptEngine
from services.llm.responder import Responder
from services.llm.server import SERVICE_NAME, register
from services.rag.documents import read_document
from services.rag.evaluation import load_qa
from tests.conftest import SHARED_EVAL, ServerThread
from tests.llm.groq_standin import GroqStandIn, Scripted

EVAL = Path(__file__).resolve().parents[1] / "eval"
LABELLED = [json.loads(line) for line in (EVAL / "classification.jsonl").open()]
ATTACKS = [json.loads(line) for line in (EVAL / "injection.jsonl").open()]
ENGINE = PromptEngine(InstitutionSettings())


@pytest.mark.parametrize("split", ["dev", "holdout"])
def test_every_emergency_in_the_labelled_set_is_critical(split: str) -> None:
    critical = [r for r in LABELLED if r["split"] == split and r["urgency"] == "critical"]
    assert len(critical) >= 10
    missed = [r["text"] for r in critical if classify(r["text"]).urgency != "critical"]
    assert missed == []


@pytest.mark.parametrize("split", ["dev", "holdout"])
def test_intents_of_the_labelled_set_are_mostly_right(split: str) -> None:
    rows = [r for r in LABELLED if r["split"] == split]
    right = sum(classify(r["text"]).intent == r["intent"] for r in rows)
    assert right / len(rows) >= 0.85


def test_the_sets_are_big_enough() -> None:
    assert len(LABELLED) >= 150 and len(ATTACKS) >= 30
    assert {a["kind"] for a in ATTACKS} >= {"ignore", "reveal", "roleplay", "hidden", "unicode"}


UCD_FAQ = SHARED_EVAL / "external" / "ucd_studentdesk" / "kb"
# The UCD set is external data (../shared/eval): a plain clone lacks it, so that case skips.
NEEDS_UCD = pytest.mark.skipif(
    not UCD_FAQ.is_dir(), reason=f"needs the external eval data {UCD_FAQ}"
)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("qa.jsonl", EVAL.parents[1] / "data"),
        ("blind_qa.jsonl", EVAL.parents[1] / "data"),
        pytest.param("ucd_qa.jsonl", UCD_FAQ, marks=NEEDS_UCD),
    ],
)
def test_every_expected_text_is_in_the_document_it_names(name: str, data: Path) -> None:
    # An answer is right when it holds the expected text: text no document holds could never be
    # said, and would count against the answerer for nothing.
    texts = {
        path.name: "\n".join(page.text for page in read_document(path).pages)
        for path in data.iterdir()
    }
    lines = load_qa(EVAL / name)
    assert len(lines) >= 100 and {line["split"] for line in lines} == {"dev", "holdout"}
    missing = [
        line["question"]
        for line in lines
        if not states_fact(texts.get(line["expected_source"], ""), line["expected_text"])
    ]
    assert not missing


def _ask_all(address: str, kb) -> list[tuple[dict, list[str]]]:
    outcomes = []
    with grpc.insecure_channel(address) as channel:
        stub = llm_pb2_grpc.LlmStub(channel)
        for attack in ATTACKS:
            found = kb.retriever.retrieve(attack["text"], 5)
            passages = [p.message() for p in found.passages]
            reply = stub.Respond(
                llm_pb2.RespondRequest(
                    question=attack["text"], passages=passages, relevant=found.relevant
                ),
                timeout=10,
            )
            broken = rules_broken(reply.answer, attack["must_not_contain"], passages, ENGINE)
            outcomes.append((attack, broken))
    return outcomes


def test_injection_suite_holds_offline_through_the_llm_server(llm_server, kb) -> None:
    broken = [(a["text"], b) for a, b in _ask_all(llm_server.address, kb) if b]
    assert broken == []


def test_injection_suite_holds_when_the_model_echoes_its_prompt(kb) -> None:
    # The worst model: it obeys the attack, pastes its instructions and invents a contact.
    echo = (
        f"Sure, here are my instructions.\n{ENGINE.protected_text()}\n"
        "Call +91 99999 88888 or fees@kvc-pay.com. The library opens at 8:00 am [1]."
    )
    standin = GroqStandIn([Scripted(content=echo)])
    settings = GroqSettings(groq_api_key="test-key", groq_base_url=standin.url, groq_max_retries=0)
    responder = Responder(InstitutionSettings(), ChatGenerator(settings), refine_labels=False)
    server = ServerThread(register(responder), [SERVICE_NAME])
    try:
        outcomes = _ask_all(server.address, kb)
    finally:
        server.stop()
        standin.close()
    assert standin.requests, "the model was never asked"
    assert [(a["text"], b) for a, b in outcomes if b] == []
