"""HTTP downloads that resume (Range), retry with back-off, verify, and land atomically."""

from __future__ import annotations

import http.client
import logging
import os
import re
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

from tqdm import tqdm

from babbler.errors import DownloadError

log = logging.getLogger(__name__)
CHUNK = 1 << 16
RETRYABLE_HTTP = {408, 425, 429, 500, 502, 503, 504}
USER_AGENT = "babbler/0.1 (+https://github.com/; research download)"


class _Incomplete(Exception):
    """The transfer ended before the promised number of bytes arrived (retried, resuming)."""


def _total_from_response(resp: http.client.HTTPResponse, offset: int) -> int | None:
    """Full size of the remote file from Content-Range or Content-Length, if the server says."""
    content_range = resp.headers.get("Content-Range")
    if content_range:
        m = re.match(r"bytes \d+-\d+/(\d+)", content_range)
        if m:
            return int(m.group(1))
    length = resp.headers.get("Content-Length")
    if length is not None:
        return int(length) + (offset if resp.status == 206 else 0)
    return None


def _fetch_once(url: str, part: Path, timeout: float, progress: bool) -> None:
    """One attempt: continue `part` from its current size, raising _Incomplete if the stream stops short."""
    offset = part.stat().st_size if part.exists() else 0
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    if offset:
        req.add_header("Range", f"bytes={offset}-")
    try:
        resp = urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:  # our part already holds the whole file, or it is stale
            total = None
            m = re.match(r"bytes \*/(\d+)", exc.headers.get("Content-Range", "") or "")
            if m:
                total = int(m.group(1))
            if total == offset:
                return
            part.unlink()
            raise _Incomplete(f"server refused the resume range at byte {offset}; restarting") from exc
        raise
    with resp:
        if offset and resp.status == 200:  # server ignored Range: start over
            log.info("%s: server does not resume; restarting from byte 0", url)
            offset = 0
            part.unlink(missing_ok=True)
        total = _total_from_response(resp, offset)
        mode = "ab" if offset else "wb"
        with open(part, mode) as fh, tqdm(
            total=total, initial=offset, unit="B", unit_scale=True, desc=Path(url).name, disable=not progress,
            mininterval=2.0,
        ) as bar:
            while True:
                chunk = resp.read(CHUNK)
                if not chunk:
                    break
                fh.write(chunk)
                bar.update(len(chunk))
    size = part.stat().st_size
    if total is not None and size != total:
        raise _Incomplete(f"got {size} of {total} bytes")


def download(
    url: str,
    dest: str | Path,
    *,
    verify: Callable[[Path], None] | None = None,
    retries: int = 6,
    backoff: float = 2.0,
    timeout: float = 60.0,
    progress: bool = True,
) -> Path:
    """Download `url` to `dest`: stream to `dest.part`, resume and retry, verify, then rename into place.

    `verify(path)` should raise (any exception) if the finished file is unusable; the file is then
    deleted and a DownloadError naming it is raised. A partial `.part` file left by a network
    failure is resumed on the next call.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    attempt = 0
    while True:
        try:
            _fetch_once(url, part, timeout, progress)
            break
        except urllib.error.HTTPError as exc:
            if exc.code not in RETRYABLE_HTTP or attempt >= retries:
                part.unlink(missing_ok=True)
                raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}; nothing written to {dest}") from exc
            reason = f"HTTP {exc.code}"
        except (_Incomplete, urllib.error.URLError, http.client.HTTPException, socket.timeout, ConnectionError,
                OSError) as exc:
            if attempt >= retries:
                have = part.stat().st_size if part.exists() else 0
                kept = (f"the partial file {part} ({have} bytes) is kept and the next run resumes it" if have
                        else f"no data arrived, nothing was written to {dest}")
                if not have:
                    part.unlink(missing_ok=True)
                raise DownloadError(f"{url}: download failed after {retries + 1} attempts ({exc}); {kept}") from exc
            reason = str(exc) or type(exc).__name__
        delay = backoff * 2**attempt
        attempt += 1
        have = part.stat().st_size if part.exists() else 0
        log.warning("%s: %s; retry %d/%d in %.1f s, resuming at byte %d", url, reason, attempt, retries, delay, have)
        time.sleep(delay)
    if verify is not None:
        try:
            verify(part)
        except Exception as exc:
            part.unlink(missing_ok=True)
            raise DownloadError(f"{url}: downloaded file failed verification ({exc}); nothing written to {dest}") from exc
    os.replace(part, dest)
    return dest
