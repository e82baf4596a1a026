"""`asnet download <corpus>`: fetch (or take `--from` a folder), verify, extract; idempotent.

    asnet download                                   # list the corpora (asnet/data/corpora.py)
    asnet download asvspoof2019_la                   # -> data/raw/asvspoof2019_la/
    asnet download asvspoof2019_la --from ~/archives # archives fetched by hand: verified, then extracted
    asnet download wavefake --url-base https://mirror.example/wavefake/   # same file names, another host
    asnet download in_the_wild --extracted           # already unpacked in --out by hand: check the layout, mark it

Per archive: the download goes to `<out>/.asnet-archives/<name>.part` and resumes with an HTTP
Range request after an interruption (a server that ignores Range is answered by starting over);
connection errors and 5xx answers are retried with exponential back-off. The file is then
checked against the table's size, sha256 and MD5 (or the sha256 of `--checksums FILE`, lines
`HASH  NAME`), extracted safely (asnet.data.archives) and recorded in
`<out>/.asnet-archives/<name>.json`, so a killed run redoes only what was not finished. The
done-marker `<out>/.asnet-download.json` (every archive's sha256, the layout checked) is written
last: a corpus without it is not complete, whatever files it holds.
"""
from __future__ import annotations

import argparse
import hashlib
import http.client
import sys
import time
import urllib.parse
from dataclasses import replace
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

from asnet.data.archives import UnsafeArchive, extract_archive
from asnet.data.corpora import CORPORA, Archive, Corpus, corpus
from asnet.utils import progress, read_json, write_json

MARKER = ".asnet-download.json"
STATE_DIR = ".asnet-archives"
RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}
CHUNK = 1 << 20
MAX_BACKOFF_S = 120.0
USER_AGENT = "asnet-download/1 (research corpus fetcher)"


class DownloadError(Exception):
    """A failure the user can act on: printed as one line, no traceback."""


class _Transient(Exception):
    """A failure worth retrying (connection lost, timeout, 5xx); `progressed` if bytes arrived first."""

    def __init__(self, reason: str, progressed: bool = False):
        super().__init__(reason)
        self.progressed = progressed


# ---------------------------------------------------------------- HTTP with resume
def _range_start(response) -> int | None:
    """First byte of a 206 answer's Content-Range (`bytes START-END/TOTAL`), None if absent."""
    value = response.headers.get("Content-Range", "")
    try:
        return int(value.split()[1].split("-")[0])
    except (IndexError, ValueError):
        return None


def _fetch_once(url: str, part: Path, size: int | None, timeout_s: float) -> None:
    offset = part.stat().st_size if part.exists() else 0
    if size is not None and offset >= size:
        if offset == size:
            return
        part.unlink()  # longer than the file can be: not a prefix of it
        offset = 0
    headers = {"User-Agent": USER_AGENT, **({"Range": f"bytes={offset}-"} if offset else {})}
    try:
        response = urlopen(Request(url, headers=headers), timeout=timeout_s)
    except HTTPError as error:
        if error.code == 416 and offset:
            return  # nothing past our offset: the part holds the whole file (verification decides)
        if error.code in RETRY_STATUS:
            raise _Transient(f"HTTP {error.code} {error.reason}") from None
        raise DownloadError(f"{url}: HTTP {error.code} {error.reason}") from None
    except (URLError, OSError, http.client.HTTPException) as error:
        raise _Transient(str(getattr(error, "reason", error))) from None
    with response:
        if offset and (response.status != 206 or _range_start(response) != offset):
            offset = 0  # the server ignored (or misread) the Range header: start over cleanly
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length is not None else size
        received = 0
        with open(part, "ab" if offset else "wb") as out, \
                progress(total=total, initial=offset, unit="B", unit_scale=True, unit_divisor=1024,
                         desc=part.name.removesuffix(".part")) as bar:
            try:
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
            except (OSError, http.client.HTTPException) as error:
                raise _Transient(f"connection lost ({type(error).__name__})", received > 0) from None
        if length is not None and received < int(length):
            raise _Transient("connection closed early", received > 0)


def fetch(url: str, part: Path, size: int | None = None, *, retries: int = 5, backoff_s: float = 1.0,
          timeout_s: float = 60.0) -> None:
    """Download url into `part`, resuming what it holds; `retries` consecutive failures without
    progress are tolerated, waiting backoff_s, 2 backoff_s, 4 backoff_s, ... in between."""
    part.parent.mkdir(parents=True, exist_ok=True)
    failures = 0
    while True:
        try:
            return _fetch_once(url, part, size, timeout_s)
        except _Transient as error:
            failures = 1 if error.progressed else failures + 1
            if failures > retries:
                raise DownloadError(f"could not download {url}: {error} (gave up after {retries} retries)") from None
            wait = min(backoff_s * 2 ** (failures - 1), MAX_BACKOFF_S)
            print(f"{part.name.removesuffix('.part')}: {error}; retrying in {wait:.1f} s", file=sys.stderr)
            time.sleep(wait)


# ---------------------------------------------------------------- verification
def file_digests(path: Path) -> dict:
    """sha256, md5 and size of a file, read once in chunks (never whole)."""
    sha256, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f, progress(total=path.stat().st_size, unit="B", unit_scale=True,
                                         unit_divisor=1024, desc=f"verify {path.name}") as bar:
        while chunk := f.read(CHUNK):
            sha256.update(chunk)
            md5.update(chunk)
            bar.update(len(chunk))
    return {"sha256": sha256.hexdigest(), "md5": md5.hexdigest(), "bytes": path.stat().st_size}


def mismatch(archive: Archive, digests: dict) -> str | None:
    """What differs between the file and the table's facts about it, or None."""
    if archive.size is not None and digests["bytes"] != archive.size:
        return f"size mismatch for {archive.name}: expected {archive.size:,} bytes, got {digests['bytes']:,}"
    for kind in ("sha256", "md5"):
        expected = getattr(archive, kind)
        if expected is not None and digests[kind] != expected.lower():
            return f"checksum mismatch for {archive.name}: expected {kind} {expected.lower()}, got {digests[kind]}"
    return None


def read_checksums(path: str | Path) -> dict[str, str]:
    """`HASH  NAME` lines (sha256sum's output; `*NAME` for binary mode) -> {name: sha256}."""
    sums = {}
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split(maxsplit=1)
        if len(fields) != 2 or len(fields[0]) != 64:
            raise DownloadError(f"{path} line {number}: expected `SHA256  NAME`, got {line!r}")
        sums[fields[1].strip().lstrip("*")] = fields[0].lower()
    return sums


def with_checksums(spec: Corpus, sums: dict[str, str]) -> Corpus:
    """The corpus with the given sha256s in place of the table's facts (size and MD5 dropped:
    a mirror that repacks changes them too)."""
    return replace(spec, archives=tuple(replace(a, sha256=sums[a.name], size=None, md5=None) if a.name in sums else a
                                        for a in spec.archives))


# ---------------------------------------------------------------- the corpus
def marker_path(target: Path) -> Path:
    return Path(target) / MARKER


def is_complete(spec: Corpus, target: Path) -> bool:
    """A done-marker for exactly this table entry's archives (or one for a corpus extracted by hand)."""
    path = marker_path(target)
    if not path.is_file():
        return False
    marker = read_json(path)
    return marker.get("corpus") == spec.name and (
        marker.get("extracted_by_hand") or sorted(marker.get("archives", {})) == sorted(a.name for a in spec.archives))


def check_layout(spec: Corpus, target: Path) -> None:
    for pattern in spec.layout:
        if not any(any(target.glob(alternative)) for alternative in pattern.split("|")):
            raise DownloadError(f"{target} lacks {pattern}: not the layout of {spec.name} "
                                f"(is this the right corpus, or is an archive missing?)")


def _url(archive: Archive, url_base: str | None) -> str:
    return archive.url if url_base is None else f"{url_base.rstrip('/')}/{urllib.parse.quote(archive.name)}"


def _obtain(archive: Archive, target: Path, source: Path | None, url_base: str | None, fetch_options: dict) -> Path:
    if source is not None:
        return source / archive.name
    path = target / STATE_DIR / archive.name
    if not path.exists():
        part = path.with_name(path.name + ".part")
        fetch(_url(archive, url_base), part, archive.size, **fetch_options)
        part.rename(path)
    return path


def _verified(archive: Archive, path: Path, downloaded: bool, sha256_source: str) -> dict:
    digests = file_digests(path)
    problem = mismatch(archive, digests)
    if problem:
        if downloaded:
            path.unlink()  # never extract it, and never reuse it: the next run fetches it anew
            raise DownloadError(f"{problem} (the download was deleted; run again to fetch it anew)")
        raise DownloadError(f"{problem} (in {path.parent})")
    source = sha256_source if archive.sha256 else "computed on first download (no published sha256)"
    if not archive.sha256:
        print(f"{archive.name}: no published sha256; computed {digests['sha256']}, recorded in {MARKER}")
    return {**digests, "sha256_source": source}


def download_corpus(spec: Corpus, target: str | Path, *, source: str | Path | None = None, url_base: str | None = None,
                    checksums: dict[str, str] | None = None, keep_archives: bool = False, retries: int = 5,
                    backoff_s: float = 1.0, timeout_s: float = 60.0) -> dict:
    """Make `target` hold the extracted corpus and its done-marker; returns the marker.

    checksums ({archive name: sha256}, from `--checksums FILE`) replace the table's facts."""
    target, source = Path(target), None if source is None else Path(source)
    checksums = checksums or {}
    spec = with_checksums(spec, checksums)
    if is_complete(spec, target):
        print(f"{spec.name}: complete in {target} ({MARKER}); nothing to do")
        return read_json(marker_path(target))
    state = target / STATE_DIR
    records = {a.name: read_json(state / f"{a.name}.json") for a in spec.archives if (state / f"{a.name}.json").is_file()}
    todo = [a for a in spec.archives if a.name not in records]
    if source is not None:
        missing = [a for a in todo if not (source / a.name).is_file()]
        if missing:
            raise DownloadError(f"--from {source} lacks " + ", ".join(f"{a.name} ({a.url})" for a in missing))
    elif spec.manual and url_base is None and todo:
        raise DownloadError(spec.manual)
    options = {"retries": retries, "backoff_s": backoff_s, "timeout_s": timeout_s}
    for archive in todo:
        path = _obtain(archive, target, source, url_base, options)
        record = _verified(archive, path, downloaded=source is None,
                           sha256_source="checksums file" if archive.name in checksums else "table")
        try:
            record["files"] = extract_archive(path, target)
        except UnsafeArchive as error:
            raise DownloadError(str(error)) from None
        write_json(state / f"{archive.name}.json", record)
        records[archive.name] = record
        if source is None and not keep_archives:
            path.unlink()
    check_layout(spec, target)
    marker = {"corpus": spec.name, "archives": {a.name: records[a.name] for a in spec.archives},
              "layout": list(spec.layout), "terms": spec.terms}
    write_json(marker_path(target), marker)
    for archive in spec.archives:
        (state / f"{archive.name}.json").unlink(missing_ok=True)
    if state.is_dir() and not any(state.iterdir()):
        state.rmdir()
    print(f"{spec.name}: complete in {target}")
    return marker


def adopt_extracted(spec: Corpus, target: str | Path) -> dict:
    """Mark a corpus the user unpacked by hand as complete, once its layout checks out."""
    target = Path(target)
    check_layout(spec, target)
    marker = {"corpus": spec.name, "archives": {}, "extracted_by_hand": True, "layout": list(spec.layout),
              "terms": spec.terms}
    write_json(marker_path(target), marker)
    print(f"{spec.name}: layout checked in {target}; marked complete (archive checksums unknown)")
    return marker


# ---------------------------------------------------------------- CLI
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("corpus", nargs="?", help="corpus name (none: list them)")
    parser.add_argument("--out", type=Path, help="target folder (default: data/raw/<corpus>)")
    parser.add_argument("--from", dest="source", type=Path, help="folder holding the archives, fetched by hand")
    parser.add_argument("--url-base", help="fetch every archive as URL_BASE/<archive name> (a mirror)")
    parser.add_argument("--checksums", type=Path, help="`SHA256  NAME` lines replacing the table's checksums")
    parser.add_argument("--extracted", action="store_true", help="the corpus is already unpacked in --out: check and mark it")
    parser.add_argument("--keep-archives", action="store_true", help="keep downloaded archives after extraction")
    parser.add_argument("--retries", type=int, default=5, help="retries without progress before giving up (default: %(default)s)")
    parser.add_argument("--backoff", type=float, default=1.0, help="first retry wait in seconds, doubled each time (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds without data before a retry (default: %(default)s)")


def _list() -> None:
    for spec in CORPORA.values():
        known = [a.size for a in spec.archives if a.size]
        size = "" if not known else f", {'' if len(known) == len(spec.archives) else '>= '}{sum(known) / 1e9:.1f} GB"
        count = f"{len(spec.archives)} archive{'s' if len(spec.archives) > 1 else ''}"
        print(f"{spec.name:<16} {spec.title} [{count}{size}{', by hand' if spec.manual else ''}]")


def main(args: argparse.Namespace) -> int:
    if args.corpus is None:
        _list()
        return 0
    spec = corpus(args.corpus)  # UnknownCorpus, like DownloadError, is a user error: one line, exit 2 (asnet.cli)
    target = args.out or Path("data/raw") / spec.name
    print(f"{spec.title}\nterms: {spec.terms}")
    try:
        if args.extracted:
            adopt_extracted(spec, target)
            return 0
        download_corpus(spec, target, source=args.source, url_base=args.url_base,
                        checksums=read_checksums(args.checksums) if args.checksums else None,
                        keep_archives=args.keep_archives, retries=args.retries, backoff_s=args.backoff,
                        timeout_s=args.timeout)
    except OSError as error:  # a network or disk failure the retries did not cure: one line too
        from asnet.cli import describe

        raise DownloadError(describe(error)) from error
    return 0
