"""With CHROMA_HOST set, rag uses a real `chroma run` server through chromadb.HttpClient."""

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import chromadb
import httpx
import pytest

from collegebot.settings import IndexSettings, StoreSettings
from collegebot.store import migrate
from services.rag.knowledge_base import KnowledgeBase
from tests.conftest import DATA


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path = tmp_path_factory.mktemp("chroma-server")
    chroma = Path(sys.executable).parent / "chroma"
    process = subprocess.Popen(
        [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).is_success:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("chroma run did not start")
    yield port
    process.terminate()
    process.wait(10)


def test_ingest_and_retrieve_through_a_chroma_server(chroma_server, tmp_path) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    for name in ("library.md", "hostel_and_mess.pdf"):
        shutil.copy(DATA / name, folder / name)
    state = tmp_path / "state"
    migrate(StoreSettings(collegebot_state_dir=state).url)
    index = IndexSettings(
        collegebot_state_dir=state,
        chroma_host="127.0.0.1",
        chroma_port=chroma_server,
        chroma_collection="server_test",
    )
    kb = KnowledgeBase(index, StoreSettings(collegebot_state_dir=state), folder)
    outcomes = kb.ingest()
    assert sorted(o.status for o in outcomes) == ["added", "added"]
    assert not (state / "chroma").exists()  # nothing was written to an embedded index

    other_client = chromadb.HttpClient(host="127.0.0.1", port=chroma_server)
    stored = other_client.get_collection("server_test")
    assert stored.count() == kb.chunk_count() > 0

    result = kb.retriever.retrieve("library timings on weekdays", 3)
    assert result.relevant and any("8:00 am to 10:00 pm" in p.text for p in result.passages)
