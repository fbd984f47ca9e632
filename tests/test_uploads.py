"""The upload desk: checked names, types and sizes, staging folders, then one real ingest."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.ingest import IngestReport
from assistant.sources import SUFFIXES, Failure
from assistant.uploads import (
    MAX_FILES,
    UploadRejected,
    Uploads,
    check_upload,
    check_urls,
)
from tests.conftest import SEED

MB = 1024 * 1024


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_every_type_the_reader_takes_is_accepted(suffix: str) -> None:
    assert check_upload(f"story{suffix.upper()}", 10, MB) == f"story{suffix.upper()}"


@pytest.mark.parametrize(
    ("name", "size", "status", "message"),
    [
        ("tool.exe", 10, 415, r"tool\.exe: this file type is not accepted; upload one of \.atom"),
        ("notes.txt.gz", 10, 415, "not accepted"),  # .gz only for JSON
        ("big.pdf", 2 * MB, 413, r"big\.pdf: 2\.1 MB is over the 1\.0 MB upload limit"),
        ("../", 10, 400, "not a usable file name"),
    ],
)
def test_bad_files_are_refused_with_a_reason(name: str, size: int, status: int, message: str) -> None:
    with pytest.raises(UploadRejected, match=message) as err:
        check_upload(name, size, MB)
    assert err.value.status == status


def test_an_empty_file_passes_the_checks_for_the_reader_to_report() -> None:
    assert check_upload("empty.md", 0, MB) == "empty.md"


def test_only_http_urls_are_kept() -> None:
    assert check_urls(["", " https://x.test/feed.xml ", "http://a.test/b"]) == [
        "https://x.test/feed.xml",
        "http://a.test/b",
    ]
    for bad in ("ftp://x.test/a", "javascript:alert(1)", "file:///etc/passwd"):
        with pytest.raises(UploadRejected, match="is not an http\\(s\\) URL"):
            check_urls([bad])


def _desk(fresh) -> Uploads:  # type: ignore[no-untyped-def]
    return Uploads(fresh)


def test_staging_copies_into_a_fresh_folder_inside_uploads(fresh, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    desk = _desk(fresh)
    src = tmp_path / "in.md"
    src.write_text("hello", encoding="utf-8")
    first = desk.stage_paths([("../../evil name.md", src)])
    second = desk.stage_paths([("in.md", src)])
    root = (fresh.settings.data_dir / "uploads").resolve()
    assert [p.name for p in first] == ["evil_name.md"]
    assert first[0].parent.parent == second[0].parent.parent == root
    assert first[0].parent != second[0].parent  # one folder per upload
    assert first[0].read_text(encoding="utf-8") == "hello"
    with pytest.raises(UploadRejected, match="is not a usable file name"):
        desk.target(first[0].parent, "../outside.md")
    assert desk.stage_paths([]) == []


def test_too_many_or_too_large_uploads_are_refused(fresh, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    desk = _desk(fresh)
    src = tmp_path / "in.md"
    src.write_bytes(b"x" * (desk.limit_bytes // 2 + 1))
    with pytest.raises(UploadRejected, match=f"at most {MAX_FILES} files per upload"):
        desk.stage_paths([(f"f{i}.md", src) for i in range(MAX_FILES + 1)])
    with pytest.raises(UploadRejected, match=r"the upload is .* MB in all; the limit is") as err:
        desk.stage_paths([("a.md", src), ("b.md", src)])
    assert err.value.status == 413
    assert not (fresh.settings.data_dir / "uploads").exists()  # nothing staged on refusal


def test_reports_to_clients_hide_server_paths(fresh) -> None:  # type: ignore[no-untyped-def]
    desk = _desk(fresh)
    folder = desk.new_folder()
    origin = str(folder / "broken.json")
    report = IngestReport(failures=[Failure(origin, f"{origin}: invalid JSON")])
    data = desk.public(report)
    assert data["failures"] == [{"origin": "broken.json", "reason": "broken.json: invalid JSON"}]


def test_ingest_makes_the_upload_searchable(fresh, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    desk = _desk(fresh)
    with pytest.raises(UploadRejected, match="nothing to add: choose a file or give a URL"):
        desk.ingest([])
    staged = desk.stage_paths([(SEED.name, SEED)])
    report = desk.ingest(staged)
    assert (report.added, report.failed) == (1, 0)
    [stored] = fresh.sources()
    assert stored.origin == str(staged[0])
    assert not fresh.ask("What does Russia require before talks?").abstained
