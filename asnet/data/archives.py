"""Safe extraction of zip and tar(.gz/.bz2/.xz) archives from the internet.

Only plain files and directories are extracted, each to a path inside the target: a member with
an absolute path, a drive letter, a `..` component, or that is a symlink, hard link, device or
FIFO makes the whole archive refused, with the member named. Extraction goes to a staging folder
beside the target and is moved into place only once every member passed, so a refused (or
killed) extraction leaves nothing of the archive in the target. Tars are read as a stream and
never indexed, so memory does not grow with the number of members.
"""
from __future__ import annotations

import os
import re
import shutil
import stat
import tarfile
import zipfile
from pathlib import Path

from asnet.utils import progress

STAGING_PREFIX = ".asnet-extract-"
TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
COPY_CHUNK = 1 << 20


class UnsafeArchive(ValueError):
    """An archive we refuse to extract (or cannot read); the message names the archive and member."""


def member_path(name: str, root: Path) -> Path:
    """Where member `name` goes under `root`; raises UnsafeArchive for a path that could leave it."""
    parts = name.replace("\\", "/").split("/")
    if "\x00" in name or name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name):
        raise UnsafeArchive(f"member {name!r} has an absolute path")
    if ".." in parts:
        raise UnsafeArchive(f"member {name!r} climbs out of the target with '..'")
    path = root.joinpath(*(p for p in parts if p not in ("", ".")))
    if not path.resolve().is_relative_to(root.resolve()):  # defence in depth: we never write links
        raise UnsafeArchive(f"member {name!r} resolves outside the target")
    return path


def _copy(source, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with source, open(path, "wb") as out:
        shutil.copyfileobj(source, out, COPY_CHUNK)


def _tar_kind(member: tarfile.TarInfo) -> str:
    for test, kind in ((member.issym, "symlink"), (member.islnk, "hard link"), (member.ischr, "character device"),
                       (member.isblk, "block device"), (member.isfifo, "FIFO")):
        if test():
            return kind
    return "special file"


def _extract_tar(archive: Path, staging: Path, bar) -> int:
    files = 0
    with tarfile.open(archive, "r|*") as tar:  # stream mode: sequential, no member index kept
        while (member := tar.next()) is not None:
            tar.members.clear()  # tarfile appends every header it reads; a stream never looks back
            path = member_path(member.name, staging)
            if member.isdir():
                path.mkdir(parents=True, exist_ok=True)
            elif member.isreg():
                _copy(tar.extractfile(member), path)
                files += 1
                bar.update()
            else:
                raise UnsafeArchive(f"member {member.name!r} is a {_tar_kind(member)}")
    return files


def _zip_kind(info: zipfile.ZipInfo) -> str:
    file_type = stat.S_IFMT(info.external_attr >> 16)  # Unix mode bits, 0 when the zip has none
    if stat.S_ISLNK(file_type):
        raise UnsafeArchive(f"member {info.filename!r} is a symlink")
    if info.is_dir() and file_type in (0, stat.S_IFDIR):
        return "dir"
    if file_type in (0, stat.S_IFREG) and not info.is_dir():
        return "file"
    raise UnsafeArchive(f"member {info.filename!r} is a special file (mode {oct(file_type)})")


def _extract_zip(archive: Path, staging: Path, bar) -> int:
    with zipfile.ZipFile(archive) as z:
        plan = [(info, member_path(info.filename, staging), _zip_kind(info)) for info in z.infolist()]
        for info, path, kind in plan:  # every member was checked before anything is written
            if kind == "dir":
                path.mkdir(parents=True, exist_ok=True)
            else:
                _copy(z.open(info), path)
                bar.update()
    return sum(kind == "file" for *_, kind in plan)


def _merge(staging: Path, target: Path) -> None:
    """Move the staged tree into target (renames on one filesystem), merging folders that exist."""
    for directory, _, names in os.walk(staging):
        destination = target / Path(directory).relative_to(staging)
        destination.mkdir(exist_ok=True)
        for name in names:
            os.replace(Path(directory) / name, destination / name)


def is_tar(path: Path) -> bool:
    return path.name.lower().endswith(TAR_SUFFIXES) or (not zipfile.is_zipfile(path) and tarfile.is_tarfile(path))


def extract_archive(archive: str | os.PathLike, target: str | os.PathLike) -> int:
    """Extract `archive` into `target` safely; returns the number of files. Raises UnsafeArchive."""
    archive, target = Path(archive), Path(target)
    staging = target / f"{STAGING_PREFIX}{archive.name}"
    shutil.rmtree(staging, ignore_errors=True)  # left by a killed run
    staging.mkdir(parents=True)
    try:
        with progress(desc=f"extract {archive.name}", unit="file") as bar:
            try:
                files = _extract_tar(archive, staging, bar) if is_tar(archive) else _extract_zip(archive, staging, bar)
            except (tarfile.TarError, zipfile.BadZipFile, EOFError) as error:
                raise UnsafeArchive(f"cannot read it ({type(error).__name__}: {error})") from error
            except UnsafeArchive as error:
                raise UnsafeArchive(f"{error}; nothing of it was extracted") from None
        _merge(staging, target)
    except UnsafeArchive as error:
        raise UnsafeArchive(f"refusing {archive.name}: {error}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return files
