"""Ingestion of data/ and of awkward files: incremental, and failures recorded, not fatal."""

import shutil
import time
from pathlib import Path

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from collegebot.settings import IndexSettings, StoreSettings
from collegebot.store import migrate
from collegebot.store.models import KnowledgeBaseDocument
from services.rag.ingest import NothingToIngest
from services.rag.knowledge_base import KnowledgeBase
from tests.conftest import DATA, base_env, run_cli


def _records(kb: KnowledgeBase) -> dict[str, KnowledgeBaseDocument]:
    with Session(kb.engine) as s:
        return {d.path: d for d in s.scalars(select(KnowledgeBaseDocument))}


def test_every_document_of_data_is_indexed_with_pdf_pages(kb) -> None:
    records = _records(kb)
    on_disk = sorted(p.name for p in DATA.iterdir() if p.suffix in {".md", ".txt", ".pdf"})
    assert sorted(records) == on_disk
    assert len(on_disk) >= 12
    assert all(
        r.status == "indexed" and r.chunks > 0 and len(r.content_hash) == 64
        for r in records.values()
    )
    pdfs = [r for r in records.values() if r.doc_type == "pdf"]
    assert len(pdfs) >= 3 and all(r.pages >= 2 for r in pdfs)
    assert kb.chunk_count() == sum(r.chunks for r in records.values())


def _kb_over(tmp_path: Path, folder: Path) -> KnowledgeBase:
    migrate(StoreSettings(collegebot_state_dir=tmp_path).url)
    return KnowledgeBase(
        IndexSettings(collegebot_state_dir=tmp_path),
        StoreSettings(collegebot_state_dir=tmp_path),
        folder,
    )


def _kb_over_two_documents(tmp_path: Path) -> KnowledgeBase:
    """A Markdown file and a PDF, ingested once."""
    folder = tmp_path / "kb"
    folder.mkdir()
    shutil.copy(DATA / "library.md", folder)
    shutil.copy(DATA / "hostel_and_mess.pdf", folder)
    kb = _kb_over(tmp_path, folder)
    kb.ingest()
    return kb


def test_broken_files_fail_alone_and_changes_are_incremental(tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    shutil.copy(DATA / "library.md", folder / "library.md")
    shutil.copy(DATA / "hostel_and_mess.pdf", folder / "hostel.pdf")
    (folder / "corrupt.pdf").write_bytes(b"%PDF-1.7\n this is not really a pdf \n%%EOF")
    (folder / "empty.txt").write_text("   \n")
    kb = _kb_over(tmp_path / "state", folder)

    first = {o.path: o for o in kb.ingest()}
    assert {p: o.status for p, o in first.items()} == {
        "corrupt.pdf": "failed",
        "empty.txt": "failed",
        "hostel.pdf": "added",
        "library.md": "added",
    }
    assert "PDF" in first["corrupt.pdf"].error and "empty" in first["empty.txt"].error
    assert _records(kb)["corrupt.pdf"].status == "failed"
    chunks_before = kb.chunk_count()

    with (folder / "library.md").open("a") as f:
        f.write("\n\n## Night reading room\n\nThe night reading room stays open until 2 am.\n")
    (folder / "hostel.pdf").unlink()
    second = {o.path: o.status for o in kb.ingest()}
    assert second["library.md"] == "updated"
    assert second["hostel.pdf"] == "removed"
    assert "hostel.pdf" not in _records(kb)
    assert kb.index.chunks.get(where={"source": "hostel.pdf"})["ids"] == []
    headings = kb.index.headings.get(where={"source": "library.md"})["documents"]
    assert headings.count("Night reading room") == 1  # re-indexed, not added twice
    assert kb.chunk_count() < chunks_before

    third = {o.path: o.status for o in kb.ingest()}
    assert third["library.md"] == "unchanged"
    hit = kb.retriever.retrieve("is there a night reading room", 3).passages[0]
    assert "2 am" in hit.text


def test_an_index_lost_or_wiped_is_rebuilt_by_the_next_ingestion(tmp_path: Path) -> None:
    kb = _kb_over_two_documents(tmp_path)
    chunks = kb.chunk_count()
    for collection in (kb.index.chunks, kb.index.headings, kb.index.sentences):
        collection.delete(ids=collection.get(include=[])["ids"])  # the Chroma volume gone
    assert kb.chunk_count() == 0
    assert sorted(o.status for o in kb.ingest()) == ["updated", "updated"]
    assert kb.chunk_count() == chunks
    assert {o.status for o in kb.ingest()} == {"unchanged"}


def test_another_embedding_model_embeds_every_document_again(tmp_path: Path) -> None:
    """Vectors of two models cannot be compared: an index built by another model (an upgrade,
    another build of it) is not "unchanged", though no document changed."""
    kb = _kb_over_two_documents(tmp_path)
    assert {o.status for o in kb.ingest()} == {"unchanged"}
    kb.model.fingerprint += "-rebuilt"
    assert sorted(o.status for o in kb.ingest()) == ["updated", "updated"]
    assert {o.status for o in kb.ingest()} == {"unchanged"}


def test_a_replica_sees_what_another_ingested_without_being_told(tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    shutil.copy(DATA / "library.md", folder)
    writer = _kb_over(tmp_path, folder)
    writer.ingest()
    reader = _kb_over(tmp_path, folder)  # a second rag replica on the same index and store
    assert not reader.retriever.retrieve("Zanzibar exchange", 3, "lexical").passages

    (folder / "exchange.md").write_text("# Exchange\n\nA Zanzibar exchange runs each spring.\n")
    writer.ingest()
    # The reader rebuilds in the background and answers from its old snapshot meanwhile.
    deadline = time.monotonic() + 30
    while True:
        found = reader.retriever.retrieve("Zanzibar exchange", 3, "lexical").passages
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert found and "Zanzibar" in found[0].text


def test_a_missing_data_folder_stops_ingestion_and_forgets_nothing(tmp_path: Path) -> None:
    """A mistyped COLLEGEBOT_DATA_DIR, `collegebot up` from another folder or an unmounted volume
    used to look like an emptied folder: every document was removed from the index."""
    folder = tmp_path / "kb"
    folder.mkdir()
    shutil.copy(DATA / "library.md", folder)
    kb = _kb_over(tmp_path, folder)
    kb.ingest()
    chunks = kb.chunk_count()

    typo = KnowledgeBase(
        IndexSettings(collegebot_state_dir=tmp_path),
        StoreSettings(collegebot_state_dir=tmp_path),
        tmp_path / "kb_typo",
    )
    with pytest.raises(NothingToIngest, match="kb_typo"):
        typo.ingest()
    with pytest.raises(NothingToIngest, match="notices"):
        kb.ingest([folder / "notices"])
    assert list(_records(kb)) == ["library.md"] and kb.chunk_count() == chunks

    env = base_env(tmp_path) | {"COLLEGEBOT_DATA_DIR": str(tmp_path / "kb_typo")}
    cli = run_cli("ingest", "--local", env=env)
    assert cli.returncode == 1
    assert "kb_typo" in cli.stderr and "Traceback" not in cli.stderr
    assert list(_records(kb)) == ["library.md"]


def test_a_file_ingested_from_outside_the_data_folder_stays_until_it_is_gone(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    shutil.copy(DATA / "library.md", folder)
    notice = tmp_path / "elsewhere" / "notice.md"
    notice.parent.mkdir()
    notice.write_text("# Notice\n\nThe Zanzibar exchange opens in spring.\n")
    kb = _kb_over(tmp_path, folder)
    kb.ingest()
    assert [o.status for o in kb.ingest([notice])] == ["added"]

    kb.ingest()  # the data folder's run cannot see it: it stays
    assert str(notice) in _records(kb)
    assert kb.retriever.retrieve("Zanzibar exchange", 1, "lexical").passages

    notice.unlink()
    removed = [o.path for o in kb.ingest() if o.status == "removed"]
    assert removed == [str(notice)] and list(_records(kb)) == ["library.md"]


def test_a_file_that_cannot_be_read_fails_alone(tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    shutil.copy(DATA / "library.md", folder)
    (folder / "memory.txt").symlink_to("/proc/self/mem")  # reading it fails with EIO
    kb = _kb_over(tmp_path, folder)
    outcomes = kb.ingest()  # (a symlink is named by where it leads: /proc/<pid>/mem)
    assert sorted(o.status for o in outcomes) == ["added", "failed"]
    failed = next(o for o in outcomes if o.status == "failed")
    assert "OSError" in failed.error and _records(kb)[failed.path].status == "failed"


def two_replicas_ingest_at_once(tmp_path: Path, store: StoreSettings) -> None:
    """Two rag replicas on one index and store ingest the same new files: the second writes a
    document's record just before the first does (it started later and ran faster)."""
    folder = tmp_path / "kb"
    folder.mkdir()
    for name in ("library.md", "admissions.md"):
        shutil.copy(DATA / name, folder)
    first, second = (
        KnowledgeBase(IndexSettings(collegebot_state_dir=tmp_path), store, folder) for _ in range(2)
    )

    raced: list[str] = []

    @event.listens_for(first.engine, "before_cursor_execute")
    def the_other_replica_first(_connection, _cursor, statement: str, *_) -> None:
        if statement.startswith("INSERT INTO knowledge_base_documents") and not raced:
            raced.extend(o.status for o in second.ingest())

    outcomes = first.ingest()  # used to raise IntegrityError
    assert raced == ["added", "added"]
    assert [o.status for o in outcomes] == ["unchanged", "unchanged"]
    records = _records(first)
    assert sorted(records) == ["admissions.md", "library.md"]
    assert first.chunk_count() == sum(r.chunks for r in records.values())


def test_two_replicas_ingesting_at_once_both_succeed(tmp_path: Path) -> None:
    migrate(StoreSettings(collegebot_state_dir=tmp_path).url)
    two_replicas_ingest_at_once(tmp_path, StoreSettings(collegebot_state_dir=tmp_path))


def test_a_warmed_replica_answers_its_first_question_with_nothing_left_to_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import services.rag.retriever as retriever

    folder = tmp_path / "kb"
    folder.mkdir()
    shutil.copy(DATA / "library.md", folder / "library.md")
    _kb_over(tmp_path / "state", folder).ingest()
    replica = _kb_over(tmp_path / "state", folder)  # a rag server starting on that index
    replica.warm()

    built: list[object] = []

    class Counted(retriever._Snapshot):
        def __init__(self, *args, **kwargs) -> None:
            built.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(retriever, "_Snapshot", Counted)
    embedded: list[str] = []
    embed = replica.model.embed
    monkeypatch.setattr(
        replica.model, "embed", lambda texts: embedded.extend(texts) or embed(texts)
    )

    result, _ = replica.answer("library timings on sunday", 5, [])

    assert result.passages
    assert built == []  # the snapshot was read before the first question
    assert len(embedded) <= 2  # its two readings, not the emergency descriptions too
