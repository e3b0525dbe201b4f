"""rag answers from its index while the SQL store, which only versions it, is down."""

import shutil
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from collegebot.settings import IndexSettings, StoreSettings
from services.rag import retriever
from services.rag.knowledge_base import KnowledgeBase
from tests.conftest import DATA
from tests.rag.test_ingest import _kb_over

DOWN = "postgresql://rag:secret@127.0.0.1:1/store"  # nothing listens on port 1


def _failures() -> float:
    return REGISTRY.get_sample_value("collegebot_rag_version_check_failures_total") or 0.0


def test_questions_are_answered_from_the_index_while_the_store_is_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(retriever, "VERSION_CHECK_SECONDS", 0.0)  # ask the store every time
    folder = tmp_path / "kb"
    folder.mkdir()
    shutil.copy(DATA / "library.md", folder)
    kb = _kb_over(tmp_path, folder)
    kb.ingest()
    question = "when does the library open"
    expected = kb.retriever.retrieve(question, 3).passages
    assert expected

    failures = _failures()
    from collegebot.store import sync_engine

    kb.engine = sync_engine(DOWN)  # the store goes down; Chroma is fine
    assert kb.retriever.retrieve(question, 3).passages == expected
    # A replica that starts during the outage builds its snapshot from Chroma all the same.
    starting = KnowledgeBase(
        IndexSettings(collegebot_state_dir=tmp_path), StoreSettings(database_url=DOWN), folder
    )
    assert starting.retriever.retrieve(question, 3).passages == expected
    assert _failures() == failures + 2
    assert "OperationalError" in caplog.text and "secret" not in caplog.text
