"""Download the public data releases from their origins (``cevnsfit data fetch``).

Every registered file carries the URLs it can be downloaded from (``cevnsfit/registry/<set>.json``,
written by ``tools/make_registry.py``): the official origin first where its file layout is known
and its bytes are the registered ones (the arXiv ancillary files of the CsI 2021 release, the
Zenodo records of the COHERENT releases, the XENONnT collaboration's repositories), then a pinned
public copy (``https://raw.githubusercontent.com/OWNER/REPO/COMMIT/PATH``, which never changes).
Downloads go through `pooch <https://www.fatiando.org/pooch/>`_: each file is streamed into a
temporary file beside its target and moved into place only after its SHA-256 matches the
registry, so an interrupted or corrupted download never leaves a partial or wrong file behind.
Files that are already present and verified are not downloaded again.

A set may also name an archive of its official repository (the XENONnT 8B release: one download
instead of ~6900); its members are unpacked only if they are registered files, each verified
before it is moved into place.  If the archive cannot be had, the files are downloaded one by one.

The CsI 2021 SNS flux tables have no URL of their own: they are derived from public files by a
recipe of :mod:`cevnsfit.derived` and kept only if byte for byte the registered tables.  A file
with no public source at all is reported with its set's ``unavailable`` text, which says how to
obtain it (none at present: the tables the solar curators derived from their byte copies are not
registered, cevnsfit derives them in code).  The two coefficient tables
transcribed by hand from published papers are written from the registry itself.

``mirror`` (or the environment variable ``CEVNSFIT_MIRROR``) fetches every URL
``https://HOST/PATH`` from ``MIRROR/HOST/PATH`` instead: a local or institutional copy laid out
like the official sources.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from . import data as datamod

MIRROR_ENV = "CEVNSFIT_MIRROR"
#: connect / read timeout for one request [s]
TIMEOUT = 30.0


@dataclass
class Failure:
    """One file that could not be fetched: the URLs tried and why each failed."""

    name: str
    attempts: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)

    def message(self, dest: Path) -> str:
        tried = "; ".join(f"{url}: {why}" for url, why in self.attempts) or "no public download URL"
        first = self.attempts[0][0] if self.attempts else None
        by_hand = (
            f"download it by hand from {first} to {dest / self.name}" if first else f"put it at {dest / self.name}"
        )
        return (
            f"{self.name}: {tried}. What to do: {by_hand}, or place the release in a directory and run "
            f"'cevnsfit data install DIR'"
        )


@dataclass
class Report:
    """What a fetch did: files downloaded, already present, written from the registry, derived
    from public files (:mod:`cevnsfit.derived`), failed, and files with no public URL (per set, with
    the set's explanation)."""

    dest: Path
    downloaded: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    derived: list[str] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    unavailable: dict[str, list[str]] = field(default_factory=dict)
    bytes_downloaded: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed and not self.unavailable


def mirror_url(url: str, mirror: str | None) -> str:
    """``https://HOST/PATH`` -> ``MIRROR/HOST/PATH`` (unchanged without a mirror)."""
    if not mirror:
        return url
    return mirror.rstrip("/") + "/" + url.split("://", 1)[1]


def _sha256(path: Path) -> str:
    return datamod.sha256(path)


def _reason(exc: BaseException) -> str:
    """One short line for a download error."""
    import requests

    if isinstance(exc, requests.exceptions.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, requests.exceptions.ConnectionError) and not isinstance(
        exc, requests.exceptions.ChunkedEncodingError
    ):
        return "server unreachable (no network, or the host is down)"
    if isinstance(exc, requests.exceptions.Timeout):
        return f"no answer within {TIMEOUT:g} s"
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
        return "download interrupted"
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def _transient(exc: BaseException) -> bool:
    """Worth retrying at once: a transfer broken off, a timeout, a server error (5xx)."""
    import requests

    if isinstance(
        exc,
        (
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
            requests.exceptions.Timeout,
        ),
    ):
        return True
    if isinstance(exc, requests.exceptions.HTTPError) and exc.response is not None:
        return exc.response.status_code >= 500 or exc.response.status_code == 429
    return False


def _unreachable(exc: BaseException) -> bool:
    import requests

    return isinstance(exc, requests.exceptions.ConnectionError) and not isinstance(
        exc, requests.exceptions.ChunkedEncodingError
    )


class _Bar:
    """Adapter for pooch's progress-bar protocol (``total``, ``update``, ``reset``, ``close``)
    that advances one overall byte counter by at most the file's registered size."""

    def __init__(self, advance: Callable[[int], None], size: int):
        self.advance, self.size, self.done, self.total = advance, size, 0, size

    def update(self, n: int) -> None:
        n = max(0, min(int(n), self.size - self.done))
        self.done += n
        self.advance(n)

    def reset(self) -> None:
        self.advance(-self.done)
        self.done = 0

    def close(self) -> None:
        pass


def _download(url: str, target: Path, sha256: str, retries: int, bar: _Bar | None) -> None:
    """Download ``url`` to ``target`` verifying ``sha256`` (pooch: temporary file, hash check,
    then move).  Transient failures are retried ``retries`` times; others raise at once."""
    import pooch

    from . import __version__

    downloader = pooch.HTTPDownloader(
        progressbar=bar if bar is not None else False,
        timeout=TIMEOUT,
        headers={"User-Agent": f"cevnsfit/{__version__} (pooch)"},
    )
    for attempt in range(retries + 1):
        try:
            pooch.retrieve(
                url,
                known_hash=f"sha256:{sha256}",
                fname=target.name,
                path=target.parent,
                downloader=downloader,
                progressbar=False,
            )
            if bar is not None:
                bar.update(bar.size)  # complete even without a Content-Length
            return
        except Exception as exc:
            if bar is not None:
                bar.reset()
            if attempt == retries or not _transient(exc):
                raise
            time.sleep(min(0.5 * (attempt + 1), 5.0))


def _checksum_error(exc: BaseException) -> str | None:
    """pooch's hash-mismatch ValueError as one line (None for other errors)."""
    text = str(exc)
    if isinstance(exc, ValueError) and "hash" in text.lower() and "does not match" in text:
        return "checksum differs from the registered SHA-256 (file corrupted or changed at the source)"
    return None


def _extract_archive(archive: Path, into: str, wanted: dict[str, dict], dest: Path) -> list[str]:
    """Unpack the registered members of a GitHub-style archive (one top-level folder) into
    ``dest``; each member is verified before it is moved into place.  Returns the names written."""
    done = []
    with tarfile.open(archive, "r:*") as tar:
        for member in tar:
            if not member.isfile() or "/" not in member.name:
                continue
            name = into + member.name.split("/", 1)[1]
            entry = wanted.get(name)
            if entry is None:
                continue  # not a registered file (or a path outside the set): skipped
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            src = tar.extractfile(member)
            if src is None:
                continue
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
            try:
                h = hashlib.sha256()
                with os.fdopen(fd, "wb") as out:
                    for chunk in iter(partial(src.read, 1 << 20), b""):
                        h.update(chunk)
                        out.write(chunk)
                if h.hexdigest() != entry["sha256"]:
                    continue  # left for the per-file download, which reports it
                os.replace(tmp, target)
                done.append(name)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
    return done


def fetch(
    sets: Iterable[str] | None = None,
    dest: Path | None = None,
    mirror: str | None = None,
    retries: int = 2,
    progress: bool = True,
    only: Iterable[str] | None = None,
    archive_min: int = 50,
) -> Report:
    """Download the data releases ``sets`` (default: all) into ``dest`` (default: the data
    directory, :func:`cevnsfit.data.data_dir`), verifying every file by its SHA-256.

    ``only`` restricts the fetch to the given registered files.  ``mirror`` (default: the
    environment variable ``CEVNSFIT_MIRROR``) replaces ``https://`` by a mirror laid out as
    ``MIRROR/HOST/PATH``.  A set's archive is used when at least ``archive_min`` of its files are
    missing.  Returns a :class:`Report`; raises nothing for download failures (they are in
    ``report.failed``), KeyError for an unknown set or file.
    """
    import pooch
    import requests  # noqa: F401  (pooch's dependency; imported here so a missing install fails early)

    pooch.get_logger().setLevel(logging.WARNING)
    all_sets = datamod.sets()
    names = list(all_sets) if sets is None else list(sets)
    unknown = [s for s in names if s not in all_sets]
    if unknown:
        raise KeyError(f"unknown data set(s) {', '.join(unknown)}; registered: {', '.join(all_sets)}")
    mirror = mirror if mirror is not None else os.environ.get(MIRROR_ENV) or None
    dest = Path(dest) if dest is not None else datamod.data_dir()
    report = Report(dest=dest)
    only_set = set(only) if only is not None else None
    if only_set is not None:
        bad = sorted(only_set - set(datamod.registry()))
        if bad:
            raise KeyError(f"not registered data file(s): {', '.join(bad[:5])}")

    todo: list[tuple[str, str, dict]] = []  # (set, name, entry) still to get
    for s in names:
        for name, entry in all_sets[s]["files"].items():
            if only_set is not None and name not in only_set:
                continue
            p = dest / name
            if p.is_file() and p.stat().st_size == entry["size"] and _sha256(p) == entry["sha256"]:
                report.present.append(name)
            else:
                todo.append((s, name, entry))

    total = sum(e["size"] for _, _, e in todo if e["urls"])
    bar_ctx, advance = _progress(progress and total > 0, total)
    dead_hosts: set[str] = set()
    with bar_ctx:
        for s in names:
            mine = [(n, e) for (ss, n, e) in todo if ss == s]
            if not mine:
                continue
            remaining = dict(mine)
            for arch in all_sets[s].get("archives", []):
                covered = {n: e for n, e in remaining.items() if n.startswith(arch["into"]) and e["urls"]}
                if len(covered) < archive_min:
                    continue
                got = _fetch_archive(arch, covered, dest, mirror, retries, advance, dead_hosts)
                for n in got:
                    report.downloaded.append(n)
                    report.bytes_downloaded += remaining[n]["size"]
                    del remaining[n]
            recipe = all_sets[s].get("derive")
            if recipe:
                covered = {n: e for n, e in remaining.items() if n in recipe["headers"]}
                if covered:
                    _fetch_derived(recipe, covered, dest, mirror, retries, dead_hosts, report)
                    remaining = {n: e for n, e in remaining.items() if n not in covered}
            for name, entry in remaining.items():
                _fetch_one(s, name, entry, dest, mirror, retries, advance, dead_hosts, report)
    return report


def _fetch_archive(arch: dict, covered: dict, dest: Path, mirror, retries, advance, dead_hosts) -> list[str]:
    import pooch

    url = mirror_url(arch["url"], mirror)
    host = url.split("/")[2]
    if host in dead_hosts:
        return []
    with tempfile.TemporaryDirectory(prefix=".cevnsfit-archive-", dir=_existing_parent(dest)) as tmp:
        try:
            for attempt in range(retries + 1):
                try:
                    path = pooch.retrieve(
                        url,
                        known_hash=None,
                        fname="release.tar.gz",
                        path=tmp,
                        downloader=pooch.HTTPDownloader(timeout=TIMEOUT),
                        progressbar=False,
                    )
                    break
                except Exception as exc:
                    if attempt == retries or not _transient(exc):
                        raise
                    time.sleep(0.5 * (attempt + 1))
            got = _extract_archive(Path(path), arch["into"], covered, dest)
        except Exception as exc:
            if _unreachable(exc):
                dead_hosts.add(host)
            return []  # fall back to single files, which report any error
    advance(sum(covered[n]["size"] for n in got))
    return got


def _fetch_derived(recipe: dict, covered: dict, dest: Path, mirror, retries, dead_hosts, report: Report) -> None:
    """Download a recipe's inputs (verified), derive the tables, and keep those whose SHA-256 is
    the registered one (:mod:`cevnsfit.derived`)."""
    from . import derived

    attempts: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix=".cevnsfit-derive-", dir=_existing_parent(dest)) as tmp:
        inputs = {}
        for key, spec in recipe["inputs"].items():
            url = mirror_url(spec["url"], mirror)
            host = url.split("/")[2]
            if host in dead_hosts:
                attempts.append((url, "server unreachable (no network, or the host is down)"))
                continue
            target = Path(tmp) / f"{key}.input"
            try:
                _download(url, target, spec["sha256"], retries, None)
                inputs[key] = target
            except Exception as exc:
                if _unreachable(exc):
                    dead_hosts.add(host)
                attempts.append((url, _checksum_error(exc) or _reason(exc)))
        tables: dict[str, bytes] = {}
        if not attempts:
            try:
                tables = derived.derive(recipe["recipe"], inputs, recipe["headers"])
            except Exception as exc:  # a malformed input: reported, never a partial table
                attempts.append((recipe["recipe"], f"derivation failed: {exc}"))
    for name, entry in covered.items():
        blob = tables.get(name)
        if blob is None or hashlib.sha256(blob).hexdigest() != entry["sha256"]:
            why = attempts or [(recipe["recipe"], "the derived table differs from the registered one")]
            report.failed.append(Failure(name, list(why)))
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp_file = target.with_name(f".part-{target.name}")
        tmp_file.write_bytes(blob)
        os.replace(tmp_file, target)
        report.derived.append(name)


def _existing_parent(p: Path) -> Path:
    p.mkdir(parents=True, exist_ok=True)
    return p


def _fetch_one(s, name, entry, dest, mirror, retries, advance, dead_hosts, report: Report) -> None:
    target = dest / name
    if not entry["urls"]:
        if "content" in entry:
            target.parent.mkdir(parents=True, exist_ok=True)
            data = entry["content"].encode()
            if hashlib.sha256(data).hexdigest() == entry["sha256"]:
                tmp = target.with_name(f".part-{target.name}")
                tmp.write_bytes(data)
                os.replace(tmp, target)
                report.written.append(name)
                return
        report.unavailable.setdefault(s, []).append(name)
        return
    failure = Failure(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    for url0 in entry["urls"]:
        url = mirror_url(url0, mirror)
        host = url.split("/")[2]
        if host in dead_hosts:
            failure.attempts.append((url, "server unreachable (no network, or the host is down)"))
            continue
        bar = _Bar(advance, entry["size"])
        try:
            _download(url, target, entry["sha256"], retries, bar)
        except Exception as exc:
            if _unreachable(exc):
                dead_hosts.add(host)
            failure.attempts.append((url, _checksum_error(exc) or _reason(exc)))
            continue
        report.downloaded.append(name)
        report.bytes_downloaded += entry["size"]
        return
    report.failed.append(failure)
    advance(entry["size"])  # keep the bar honest about what is left


def _progress(show: bool, total: int):
    """A rich progress bar over ``total`` bytes (a no-op context without ``show``)."""
    import contextlib

    if not show:
        return contextlib.nullcontext(), (lambda n: None)
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

    prog = Progress(
        TextColumn("fetching data"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        transient=False,
    )
    task = prog.add_task("fetch", total=total)
    return prog, (lambda n: prog.advance(task, n))


def describe_unavailable(report: Report) -> list[str]:
    """One line per set with files that have no public URL: which and how to obtain them."""
    out = []
    for s, names in report.unavailable.items():
        how = datamod.sets()[s].get("unavailable") or "no public download URL is known"
        shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        out.append(f"{s}: {len(names)} file(s) not downloadable ({shown}). {how}")
    return out


__all__ = ["MIRROR_ENV", "Failure", "Report", "describe_unavailable", "fetch", "mirror_url"]
