"""`asnet download`: resumable fetch, verification, safe extraction, done-marker, one-line errors."""
from __future__ import annotations

import io
import socket
import tarfile
import zipfile
from pathlib import Path

import pytest

from asnet.cli import main as cli
from asnet.data.archives import STAGING_PREFIX, UnsafeArchive, extract_archive
from asnet.data.corpora import CORPORA
from asnet.data.download import MARKER, STATE_DIR, DownloadError, download_corpus
from asnet.utils import read_json
from tests.data.corpora.corpus_fixtures import make_fixture_archive, sha256_of


def download(corpus, server, target, *extra):
    return cli(["download", corpus, "--out", str(target), "--url-base", server.url,
                "--checksums", str(server.root / "SHA256SUMS"), "--backoff", "0.01", "--retries", "2", *extra])


def one_line_error(capsys) -> str:
    """The error line, which must be the only one (retry notes before it aside) and no traceback."""
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if line.startswith("asnet download: error: ")]
    assert errors == err[-1:] and all("retrying in" in line for line in err[:-1]), err
    assert not any("Traceback" in line for line in err)
    return errors[0]


def test_download_verifies_extracts_and_writes_the_marker_last(archive_server, tmp_path, capsys):
    (archive,) = make_fixture_archive("asvspoof2019_la", archive_server.root)
    target = tmp_path / "raw"
    assert download("asvspoof2019_la", archive_server, target) == 0
    assert "Open Data Commons Attribution" in capsys.readouterr().out  # the terms are printed
    marker = read_json(target / MARKER)
    assert marker["archives"]["LA.zip"]["sha256"] == sha256_of(archive)
    assert marker["archives"]["LA.zip"]["sha256_source"] == "checksums file"
    assert (target / "LA" / "ASVspoof2019_LA_cm_protocols" / "ASVspoof2019.LA.cm.train.trn.txt").is_file()
    assert not (target / STATE_DIR).exists()  # downloaded archive deleted, per-archive records folded in
    assert download("asvspoof2019_la", archive_server, target) == 0  # idempotent: no second request
    assert len(archive_server.requests) == 1 and "nothing to do" in capsys.readouterr().out


def test_a_dropped_connection_is_resumed_with_a_range_request(archive_server, tmp_path):
    (archive,) = make_fixture_archive("asvspoof2019_la", archive_server.root)
    archive_server.faults["LA.zip"] = ["drop:1000"]
    assert download("asvspoof2019_la", archive_server, tmp_path / "raw") == 0
    assert archive_server.requests == [("LA.zip", None), ("LA.zip", "bytes=1000-")]
    assert read_json(tmp_path / "raw" / MARKER)["archives"]["LA.zip"]["sha256"] == sha256_of(archive)


def test_a_killed_download_resumes_from_its_part_file(archive_server, tmp_path):
    (archive,) = make_fixture_archive("asvspoof2019_la", archive_server.root)
    part = tmp_path / "raw" / STATE_DIR / "LA.zip.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(archive.read_bytes()[:5000])
    assert download("asvspoof2019_la", archive_server, tmp_path / "raw") == 0
    assert archive_server.requests == [("LA.zip", "bytes=5000-")]


def test_a_server_ignoring_range_makes_the_download_start_over(archive_server, tmp_path):
    make_fixture_archive("asvspoof2019_la", archive_server.root)
    archive_server.ignore_range = True
    part = tmp_path / "raw" / STATE_DIR / "LA.zip.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"x" * 5000)  # appended to, this prefix would fail the checksum
    assert download("asvspoof2019_la", archive_server, tmp_path / "raw") == 0
    assert (tmp_path / "raw" / MARKER).is_file()


def test_5xx_answers_are_retried_with_back_off(archive_server, tmp_path):
    make_fixture_archive("asvspoof2019_la", archive_server.root)
    archive_server.faults["LA.zip"] = ["503", "503"]
    assert download("asvspoof2019_la", archive_server, tmp_path / "raw") == 0
    assert len(archive_server.requests) == 3


def test_network_failure_after_the_retries_is_one_line(tmp_path, capsys):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    rc = cli(["download", "in_the_wild", "--out", str(tmp_path / "raw"), "--url-base", f"http://127.0.0.1:{port}/",
              "--retries", "2", "--backoff", "0.01"])
    assert rc == 2
    assert "could not download" in one_line_error(capsys) and not (tmp_path / "raw" / MARKER).exists()


def test_http_404_is_one_line(archive_server, tmp_path, capsys):
    assert cli(["download", "in_the_wild", "--out", str(tmp_path / "raw"), "--url-base", archive_server.url]) == 2
    assert "HTTP 404" in one_line_error(capsys)


def test_a_corrupted_archive_is_refused_deleted_and_never_extracted(archive_server, tmp_path, capsys):
    (archive,) = make_fixture_archive("asvspoof2019_la", archive_server.root)
    expected = sha256_of(archive)
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    target = tmp_path / "raw"
    assert download("asvspoof2019_la", archive_server, target) == 2
    line = one_line_error(capsys)
    assert f"checksum mismatch for LA.zip: expected sha256 {expected}, got {sha256_of(archive)}" in line
    assert not (target / MARKER).exists() and not (target / "LA").exists()
    assert not (target / STATE_DIR / "LA.zip").exists()  # the next run fetches it anew


def test_table_md5s_are_enforced_and_a_rerun_redoes_only_the_unfinished_archive(archive_server, tmp_path, capsys):
    make_fixture_archive("asvspoof2021_la", archive_server.root)
    target = tmp_path / "raw"
    with pytest.raises(DownloadError, match="checksum mismatch for LA-keys-full.tar.gz: expected md5 f052cc2e"):
        download_corpus(CORPORA["asvspoof2021_la"], target, url_base=archive_server.url, backoff_s=0.01)
    assert "no published sha256" in capsys.readouterr().out  # the eval tar: sha256 computed and recorded
    assert not (target / MARKER).exists() and (target / "ASVspoof2021_LA_eval" / "flac").is_dir()
    assert download("asvspoof2021_la", archive_server, target) == 0
    assert [name for name, _ in archive_server.requests] == ["ASVspoof2021_LA_eval.tar.gz", "LA-keys-full.tar.gz",
                                                             "LA-keys-full.tar.gz"]


def test_an_unpublished_sha256_is_computed_recorded_and_said(archive_server, tmp_path, capsys):
    (archive,) = make_fixture_archive("in_the_wild", archive_server.root)
    marker = download_corpus(CORPORA["in_the_wild"], tmp_path / "raw", url_base=archive_server.url)
    record = marker["archives"]["release_in_the_wild.zip"]
    assert record["sha256"] == sha256_of(archive) and record["sha256_source"].startswith("computed")
    assert f"computed {sha256_of(archive)}, recorded in {MARKER}" in capsys.readouterr().out


def test_from_a_folder_verifies_then_extracts_and_keeps_the_users_archives(tmp_path, capsys):
    archives = make_fixture_archive("asvspoof2021_df", tmp_path / "by_hand")
    target = tmp_path / "raw"
    assert cli(["download", "asvspoof2021_df", "--out", str(target), "--from", str(tmp_path / "by_hand"),
                "--checksums", str(tmp_path / "by_hand" / "SHA256SUMS")]) == 0
    assert all(a.is_file() for a in archives) and (target / MARKER).is_file()
    assert len(list((target / "ASVspoof2021_DF_eval" / "flac").glob("*.flac"))) == 9  # four parts merged


def test_from_a_folder_missing_archives_names_them_with_their_urls(tmp_path, capsys):
    make_fixture_archive("asvspoof2021_df", tmp_path / "by_hand")
    (tmp_path / "by_hand" / "ASVspoof2021_DF_eval_part02.tar.gz").unlink()
    assert cli(["download", "asvspoof2021_df", "--out", str(tmp_path / "raw"), "--from", str(tmp_path / "by_hand")]) == 2
    line = one_line_error(capsys)
    assert "lacks ASVspoof2021_DF_eval_part02.tar.gz (https://zenodo.org/records/4835108/" in line
    assert not (tmp_path / "raw" / "ASVspoof2021_DF_eval").exists()  # nothing done before all are there


def test_a_bad_archive_from_a_folder_is_reported_and_left_alone(tmp_path, capsys):
    (archive,) = make_fixture_archive("in_the_wild", tmp_path / "by_hand")
    sums = tmp_path / "by_hand" / "SHA256SUMS"
    sums.write_text(sums.read_text().replace(sha256_of(archive)[:8], "00000000"))
    assert cli(["download", "in_the_wild", "--out", str(tmp_path / "raw"), "--from", str(tmp_path / "by_hand"),
                "--checksums", str(sums)]) == 2
    assert "checksum mismatch for release_in_the_wild.zip" in one_line_error(capsys) and archive.is_file()


def test_user_errors_are_one_line(tmp_path, capsys):
    assert cli(["download", "asvspoof2077", "--out", str(tmp_path)]) == 2
    assert "unknown corpus 'asvspoof2077' (known: asvspoof2019_la" in one_line_error(capsys)
    assert cli(["download", "librisevoc", "--out", str(tmp_path / "raw")]) == 2  # Google Drive: by hand only
    assert "--from" in one_line_error(capsys)
    assert cli(["download", "in_the_wild", "--out", str(tmp_path / "raw"), "--extracted"]) == 2
    assert "lacks release_in_the_wild/meta.csv" in one_line_error(capsys)


def test_a_wrong_archive_under_the_right_name_fails_the_layout_check(archive_server, tmp_path, capsys):
    (itw,) = make_fixture_archive("in_the_wild", tmp_path / "other")
    itw.rename(archive_server.root / "LA.zip")
    (archive_server.root / "SHA256SUMS").write_text(f"{sha256_of(archive_server.root / 'LA.zip')}  LA.zip\n")
    assert download("asvspoof2019_la", archive_server, tmp_path / "raw") == 2
    assert "lacks LA/ASVspoof2019_LA_cm_protocols" in one_line_error(capsys)
    assert not (tmp_path / "raw" / MARKER).exists()


def test_a_corpus_unpacked_by_hand_is_checked_then_marked(tmp_path):
    (archive,) = make_fixture_archive("in_the_wild", tmp_path / "by_hand")
    extract_archive(archive, tmp_path / "raw")
    assert cli(["download", "in_the_wild", "--out", str(tmp_path / "raw"), "--extracted"]) == 0
    assert read_json(tmp_path / "raw" / MARKER)["extracted_by_hand"] is True
    assert cli(["download", "in_the_wild", "--out", str(tmp_path / "raw")]) == 0  # complete: no network needed


# ---------------------------------------------------------------- hostile archives
def _tar(path: Path, *members: tarfile.TarInfo) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        good = tarfile.TarInfo("corpus/good.txt")
        good.size = 2
        tar.addfile(good, io.BytesIO(b"ok"))
        for member in members:
            tar.addfile(member, io.BytesIO(b"evil") if member.isreg() else None)
    return path


def _member(name: str, kind=tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.size = kind, link, 4 if kind == tarfile.REGTYPE else 0
    return info


def _zip(path: Path, name: str, mode: int = 0o100644) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("corpus/good.txt", "ok")
        info = zipfile.ZipInfo(name)
        info.external_attr = mode << 16
        z.writestr(info, "/etc/passwd")
    return path


HOSTILE = {
    "zip_traversal": (lambda p: _zip(p / "a.zip", "../evil.txt"), "'../evil.txt' climbs out"),
    "zip_absolute": (lambda p: _zip(p / "a.zip", "/tmp/evil.txt"), "'/tmp/evil.txt' has an absolute path"),
    "zip_symlink": (lambda p: _zip(p / "a.zip", "corpus/link", 0o120777), "'corpus/link' is a symlink"),
    "tar_symlink": (lambda p: _tar(p / "a.tar.gz", _member("corpus/link", tarfile.SYMTYPE, "/etc/passwd")),
                    "'corpus/link' is a symlink"),
    "tar_hardlink": (lambda p: _tar(p / "a.tar.gz", _member("corpus/hard", tarfile.LNKTYPE, "corpus/good.txt")),
                     "'corpus/hard' is a hard link"),
    "tar_device": (lambda p: _tar(p / "a.tar.gz", _member("corpus/dev", tarfile.CHRTYPE)), "is a character device"),
    "tar_traversal": (lambda p: _tar(p / "a.tar.gz", _member("corpus/../../evil.txt")), "climbs out"),
    "tar_absolute": (lambda p: _tar(p / "a.tar.gz", _member("/tmp/evil.txt")), "has an absolute path"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_archive_is_refused_by_member_and_nothing_is_left(tmp_path, case):
    make, message = HOSTILE[case]
    (tmp_path / "in").mkdir()
    archive = make(tmp_path / "in")
    target = tmp_path / "target"
    target.mkdir()
    with pytest.raises(UnsafeArchive, match="nothing of it was extracted") as error:
        extract_archive(archive, target)
    assert message in str(error.value) and f"refusing {archive.name}" in str(error.value)
    assert list(target.iterdir()) == []  # not even the good member, nor the staging folder
    assert not (tmp_path / "evil.txt").exists()


def test_a_hostile_download_is_one_line_and_leaves_no_corpus(archive_server, tmp_path, capsys):
    _zip(archive_server.root / "LA.zip", "../../evil.txt")
    (archive_server.root / "SHA256SUMS").write_text(f"{sha256_of(archive_server.root / 'LA.zip')}  LA.zip\n")
    assert download("asvspoof2019_la", archive_server, tmp_path / "raw") == 2
    assert "refusing LA.zip: member '../../evil.txt' climbs out" in one_line_error(capsys)
    left = {p.name for p in (tmp_path / "raw").iterdir()}
    assert left == {STATE_DIR} and not any(n.startswith(STAGING_PREFIX) for n in left)
