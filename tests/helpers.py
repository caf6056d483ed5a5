"""Test helpers: a local HTTP server with fault injection, and made-up Map Task and Switchboard files."""

from __future__ import annotations

import io
import re
import tarfile
import threading
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import soundfile as sf


@dataclass
class Faults:
    """What the test server does wrong, per path."""

    drop_after: dict[str, int] = field(default_factory=dict)  # close the stream after N bytes ...
    drops_left: dict[str, int] = field(default_factory=dict)  # ... this many times
    ignore_range: set[str] = field(default_factory=set)
    status: dict[str, int] = field(default_factory=dict)  # answer with this HTTP status instead


class FileServer:
    """A threaded HTTP server on 127.0.0.1 serving in-memory files, with Range support and faults."""

    def __init__(self, files: dict[str, bytes]):
        self.files = files
        self.faults = Faults()
        self.requests: list[tuple[str, str | None]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):  # noqa: N802
                path = self.path
                rng = self.headers.get("Range")
                server.requests.append((path, rng))
                if path in server.faults.status:
                    self.send_error(server.faults.status[path])
                    return
                if path not in server.files:
                    self.send_error(404, "Not Found")
                    return
                data = server.files[path]
                start = 0
                if rng and path not in server.faults.ignore_range:
                    m = re.match(r"bytes=(\d+)-$", rng)
                    start = int(m.group(1))
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                left = server.faults.drops_left.get(path, 0)
                if left > 0 and path in server.faults.drop_after:
                    server.faults.drops_left[path] = left - 1
                    self.wfile.write(body[: server.faults.drop_after[path]])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> "FileServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def bursts(n: int, sr: int, segments: list[tuple[float, float]], freq: float, amp: float = 0.3) -> np.ndarray:
    """A signal of tone bursts (with harmonics) at the given segments, silent elsewhere."""
    t = np.arange(n) / sr
    tone = sum(np.sin(2 * np.pi * k * freq * t) / k for k in range(1, 6))
    mask = np.zeros(n)
    for s, e in segments:
        mask[int(s * sr) : int(e * sr)] = 1.0
    return amp * tone / np.abs(tone).max() * mask


GIVER_WORDS = [(0.5, 0.9), (0.95, 1.6), (3.0, 4.2), (6.1, 6.8)]
FOLLOWER_WORDS = [(1.9, 2.7), (4.5, 5.6), (7.0, 7.6)]


def timed_units_xml(dialogue: str, role: str, words: list[tuple[float, float]]) -> bytes:
    """An NXT timed-units document in the Map Task layout (tu words, with a sil element between)."""
    lines = ['<?xml version="1.0" encoding="ISO-8859-1"?>',
             f'<nite:root nite:id="{dialogue}.{role}.timed-units" xmlns:nite="http://nite.sourceforge.net/">']
    for i, (s, e) in enumerate(words, 1):
        lines.append(f'<tu nite:id="{dialogue}.{role}.timed-unit.{i}" start="{s}" end="{e}" utt="{i}">word</tu>')
        lines.append(f'<sil nite:id="{dialogue}.{role}.sil.{i}" start="{e}" end="{e + 0.05:.2f}"/>')
    lines.append("</nite:root>")
    return "\n".join(lines).encode("latin-1")


def maptask_zip(dialogues: list[str]) -> bytes:
    """A small NXT-like zip with timed-units for giver and follower of each dialogue."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("maptaskv2-1/Data/README.txt", "made-up test annotations\n")
        for d in dialogues:
            zf.writestr(f"maptaskv2-1/Data/timed-units/{d}.g.timed-units.xml", timed_units_xml(d, "g", GIVER_WORDS))
            zf.writestr(f"maptaskv2-1/Data/timed-units/{d}.f.timed-units.xml",
                        timed_units_xml(d, "f", FOLLOWER_WORDS))
    return buf.getvalue()


def maptask_wav(giver_channel: int, sr: int = 20000, duration: float = 8.0, seed: int = 0) -> bytes:
    """A made-up 16-bit stereo `mix.wav`: giver bursts on `giver_channel`, follower on the other, bleed, noise."""
    rng = np.random.default_rng(seed)
    n = int(sr * duration)
    g = bursts(n, sr, GIVER_WORDS, 140.0)
    f = bursts(n, sr, FOLLOWER_WORDS, 220.0)
    own = [g, f] if giver_channel == 0 else [f, g]
    audio = np.stack([own[0] + 0.03 * own[1], own[1] + 0.03 * own[0]], axis=1) + 1e-3 * rng.standard_normal((n, 2))
    buf = io.BytesIO()
    sf.write(buf, audio, sr, subtype="PCM_16", format="WAV")
    return buf.getvalue()


def textgrid(tiers: dict[str, list[tuple[float, float, str]]], xmax: float = 8.0) -> str:
    """A long-format Praat TextGrid whose interval tiers hold these labelled intervals (gaps filled with "")."""
    items = []
    for k, (name, labelled) in enumerate(tiers.items(), 1):
        bounds, t = [], 0.0
        for s, e, label in labelled:
            if s > t:
                bounds.append((t, s, ""))
            bounds.append((s, e, label))
            t = e
        if t < xmax:
            bounds.append((t, xmax, ""))
        body = "".join(f'        intervals [{i}]:\n            xmin = {s}\n            xmax = {e}\n'
                       f'            text = "{label}"\n' for i, (s, e, label) in enumerate(bounds, 1))
        items.append(f'    item [{k}]:\n        class = "IntervalTier"\n        name = "{name}"\n        xmin = 0\n'
                     f'        xmax = {xmax}\n        intervals: size = {len(bounds)}\n{body}')
    return (f'File type = "ooTextFile"\nObject class = "TextGrid"\n\nxmin = 0\nxmax = {xmax}\ntiers? <exists>\n'
            f'size = {len(items)}\nitem []:\n' + "".join(items))


def eaf(tiers: dict[str, list[tuple[float, float, str]]], dependent: dict[str, str] | None = None,
        unaligned: int = 0) -> str:
    """An ELAN annotation document: top-level tiers of time-aligned annotations, tiers in `dependent` (name →
    parent) as symbolic subdivisions of their parent's first annotation, and `unaligned` time slots without a
    time used by an extra annotation on the first tier."""
    slots, body, n = [], [], 0

    def slot(ms: int | None) -> str:
        slots.append(f'<TIME_SLOT TIME_SLOT_ID="ts{len(slots) + 1}"' + (f' TIME_VALUE="{ms}"/>' if ms is not None
                                                                       else "/>"))
        return f"ts{len(slots)}"

    first = next(iter(tiers))
    for name, annotations in tiers.items():
        anns = []
        for start, end, label in annotations:
            n += 1
            a, b = slot(round(start * 1000)), slot(round(end * 1000))
            anns.append(f'<ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="a{n}" TIME_SLOT_REF1="{a}" '
                        f'TIME_SLOT_REF2="{b}"><ANNOTATION_VALUE>{label}</ANNOTATION_VALUE>'
                        f'</ALIGNABLE_ANNOTATION></ANNOTATION>')
        if name == first:
            for _ in range(unaligned):
                n += 1
                anns.append(f'<ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="a{n}" TIME_SLOT_REF1="{slot(None)}" '
                            f'TIME_SLOT_REF2="{slot(None)}"><ANNOTATION_VALUE>x</ANNOTATION_VALUE>'
                            f'</ALIGNABLE_ANNOTATION></ANNOTATION>')
        body.append(f'<TIER LINGUISTIC_TYPE_REF="default-lt" PARTICIPANT="{name}" TIER_ID="{name}">{"".join(anns)}'
                    f'</TIER>')
    for name, parent in (dependent or {}).items():
        n += 1
        body.append(f'<TIER LINGUISTIC_TYPE_REF="translation" PARENT_REF="{parent}" TIER_ID="{name}"><ANNOTATION>'
                    f'<REF_ANNOTATION ANNOTATION_ID="a{n}" ANNOTATION_REF="a1"><ANNOTATION_VALUE>gloss'
                    f'</ANNOTATION_VALUE></REF_ANNOTATION></ANNOTATION></TIER>')
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<ANNOTATION_DOCUMENT AUTHOR="" DATE="2026-11-27T00:00:00+00:00" '
            'FORMAT="3.0" VERSION="3.0"><HEADER MEDIA_FILE="" TIME_UNITS="milliseconds"/>'
            f'<TIME_ORDER>{"".join(slots)}</TIME_ORDER>{"".join(body)}'
            '<LINGUISTIC_TYPE GRAPHIC_REFERENCES="false" LINGUISTIC_TYPE_ID="default-lt" TIME_ALIGNABLE="true"/>'
            '<LINGUISTIC_TYPE CONSTRAINTS="Symbolic_Association" GRAPHIC_REFERENCES="false" '
            'LINGUISTIC_TYPE_ID="translation" TIME_ALIGNABLE="false"/></ANNOTATION_DOCUMENT>\n')


# Switchboard ms98 word files. Side A: "hi" and "um" touch (one IPU), laughter and a word said aside are voice too;
# side B: a [noise] is not.
SWB_SIDE_A = [("0.000000", "0.500000", "[silence]"), ("0.500000", "0.750000", "hi"), ("0.750000", "1.100000", "um"),
              ("1.100000", "2.000000", "[silence]"), ("2.000000", "2.400000", "[laughter]"),
              ("2.400000", "3.500000", "[silence]"), ("3.500000", "3.500000", "<b_aside>"),
              ("3.500000", "4.000000", "honey"), ("4.000000", "4.000000", "<e_aside>"),
              ("4.000000", "6.000000", "[silence]")]
SWB_SIDE_B = [("0.000000", "1.000000", "[silence]"), ("1.000000", "1.900000", "hello"),
              ("1.900000", "2.600000", "[noise]"), ("2.600000", "3.100000", "yeah"),
              ("3.100000", "3.200000", "uh-huh"), ("3.200000", "6.000000", "[silence]")]


def ms98_word_file(dialogue: str, side: str, tokens) -> str:
    """An ms98 word file: one `utterance-id start end word` line per token, as the release writes them."""
    return "".join(f"{dialogue}{side}-ms98-a-{i // 3 + 1:04d} {s} {e} {w}\n" for i, (s, e, w) in enumerate(tokens))


def switchboard_release(dialogues=("sw2001", "sw2005")) -> dict[str, str]:
    """Relative path → text of the ms98 release's layout (word and utterance files) for some conversations."""
    files = {}
    for d in dialogues:
        folder = f"swb_ms98_transcriptions/{d[2:4]}/{d[2:]}"
        for side, tokens in (("A", SWB_SIDE_A), ("B", SWB_SIDE_B)):
            files[f"{folder}/{d}{side}-ms98-a-word.text"] = ms98_word_file(d, side, tokens)
            files[f"{folder}/{d}{side}-ms98-a-trans.text"] = f"{d}{side}-ms98-a-0001 0.000000 6.000000 hi\n"
    return files


def tar_gz(files: dict[str, str]) -> bytes:
    """A gzipped tar archive of text files (relative path → text)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()
