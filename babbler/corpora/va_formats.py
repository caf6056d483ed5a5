"""Voice activity from the files users hold: the design's CSV, Praat TextGrids (e.g. forced-aligner output), ELAN
annotation files (conversation analysts' transcripts) and NIST RTTM (diarization output), each read into the CSV's
table (speaker A or B, start, end in seconds)."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import pandas as pd

from babbler.errors import InputError
from babbler.util.fileio import VA_COLUMNS, read_va
from babbler.va import merge_segments

log = logging.getLogger(__name__)

VA_SUFFIXES = (".csv", ".textgrid", ".eaf", ".rttm")  # lower case; a local corpus's VA folder may mix them
# interval labels that mark no speech: empty, the aligners' silence and short-pause symbols, common pause marks
SILENCE_LABELS = frozenset({"", "sil", "sp", "<sil>", "silence", "[silence]", "<p:>", "#", "pau", "<eps>", "_"})
PAUSE_ANNOTATIONS = SILENCE_LABELS - {""}  # ELAN: an empty annotation is an untranscribed segment, so speech


def read_user_va(path: str | Path, speakers: list[str] | tuple[str, ...] = ()) -> tuple[pd.DataFrame, bool]:
    """The VA table of a user's file (CSV, TextGrid or RTTM) and whether its A/B order was set by the user.

    A CSV names A and B itself. In a TextGrid, `speakers` names the two speakers' interval tiers; without it the
    file must hold exactly two interval tiers (or exactly two whose names end in "words", as the Montreal Forced
    Aligner writes them), taken in file order. An ELAN file is read as a TextGrid is, by its top-level tiers (tiers
    with a parent are layers of another: translations, glosses). In an RTTM, `speakers` names two speaker ids
    (segments of others are dropped with a warning); without it the file must hold exactly two, the first to speak
    taken as A. The order is a guess when the user gave no `speakers` (False): a caller with the stereo recording
    may swap it."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_va(path), True
    if suffix == ".textgrid":
        named = _textgrid_tiers(path)
    elif suffix == ".eaf":
        named = _eaf_tiers(path)
    elif suffix == ".rttm":
        named = _rttm_speakers(path)
    else:
        raise InputError(path, f"not a voice-activity file: the suffix must be one of {', '.join(VA_SUFFIXES)}")
    chosen = _choose(path, named, list(speakers))
    parts = [merge_segments(named[name]).assign(speaker=s) for s, name in zip("AB", chosen)]
    va = pd.concat(parts, ignore_index=True)[VA_COLUMNS]
    return va.sort_values(["start", "speaker"], kind="stable").reset_index(drop=True), bool(speakers)


def swap_speakers(va: pd.DataFrame) -> pd.DataFrame:
    """The same VA with A and B exchanged."""
    return va.assign(speaker=va["speaker"].map({"A": "B", "B": "A"}))


def _choose(path: Path, named: dict[str, pd.DataFrame], speakers: list[str]) -> list[str]:
    """The two names (tiers or speaker ids) behind A and B."""
    kind = {".textgrid": "interval tier", ".eaf": "top-level tier"}.get(path.suffix.lower(), "speaker")
    listing = ", ".join(repr(n) for n in named) or "none"
    if speakers:
        missing = [s for s in speakers if s not in named]
        if missing:
            raise InputError(path, f"has no {kind} {', '.join(repr(m) for m in missing)} (corpus.local.speakers); "
                                   f"it holds: {listing}")
        for other in (n for n in named if n not in speakers):  # a TextGrid's other tiers are other layers, not people
            seconds = float((named[other]["end"] - named[other]["start"]).sum())
            log.log(logging.WARNING if kind == "speaker" else logging.INFO,
                    "%s: %s %r (%.1f s of speech) is neither speaker of corpus.local.speakers; left out",
                    path, kind, other, seconds)
        return speakers
    if len(named) == 2:
        return list(named)
    words = [n for n in named if n.lower().endswith("words")]
    if len(words) == 2:
        return words
    raise InputError(path, f"holds {len(named)} {kind}s ({listing}), not two: name A's and B's in "
                           f"corpus.local.speakers, e.g. [{next(iter(named), 'a')}, …]")


def _textgrid_tiers(path: Path) -> dict[str, pd.DataFrame]:
    """Per interval tier, its speech intervals (labels outside SILENCE_LABELS), read with Praat."""
    import parselmouth
    from parselmouth.praat import call

    try:
        grid = parselmouth.read(str(path))
    except parselmouth.PraatError as exc:
        raise InputError(path, f"Praat cannot read it as a TextGrid ({str(exc).strip().splitlines()[0]})") from exc
    if not isinstance(grid, parselmouth.TextGrid):
        raise InputError(path, f"holds a Praat {type(grid).__name__}, not a TextGrid")
    tiers: dict[str, pd.DataFrame] = {}
    for i in range(1, call(grid, "Get number of tiers") + 1):
        if not call(grid, "Is interval tier", i):
            continue
        name = call(grid, "Get tier name", i)
        if name in tiers:
            raise InputError(path, f"holds two interval tiers named {name!r}")
        rows = []
        for j in range(1, call(grid, "Get number of intervals", i) + 1):
            if call(grid, "Get label of interval", i, j).strip().lower() not in SILENCE_LABELS:
                rows.append((call(grid, "Get start time of interval", i, j),
                             call(grid, "Get end time of interval", i, j)))
        tiers[name] = pd.DataFrame(rows, columns=["start", "end"], dtype=float)
    return tiers


def _eaf_tiers(path: Path) -> dict[str, pd.DataFrame]:
    """Per top-level tier of an ELAN file, its annotations' spans, save those labelled as silence (an empty
    annotation is a segment not yet transcribed: speech)."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise InputError(path, f"not a readable ELAN file ({exc})") from exc
    if root.tag != "ANNOTATION_DOCUMENT":
        raise InputError(path, f"holds <{root.tag}>, not an ELAN <ANNOTATION_DOCUMENT>")
    slots: dict[str, float | None] = {}
    for slot in root.iter("TIME_SLOT"):
        value = slot.get("TIME_VALUE")
        try:
            ms = float(value) if value not in (None, "") else None
        except ValueError as exc:
            raise InputError(path, f"time slot {slot.get('TIME_SLOT_ID')} has the time {value!r}, not a number of "
                                   f"milliseconds") from exc
        if ms is not None and not (math.isfinite(ms) and ms >= 0):
            raise InputError(path, f"time slot {slot.get('TIME_SLOT_ID')} has the time {value!r} (ms)")
        slots[slot.get("TIME_SLOT_ID", "")] = ms / 1000 if ms is not None else None
    tiers: dict[str, pd.DataFrame] = {}
    unaligned = 0
    for tier in root.iter("TIER"):
        name = tier.get("TIER_ID", "")
        if tier.get("PARENT_REF"):
            continue
        if name in tiers:
            raise InputError(path, f"holds two top-level tiers named {name!r}")
        rows = []
        for ann in tier.iter("ALIGNABLE_ANNOTATION"):
            ident = ann.get("ANNOTATION_ID", "?")
            refs = (ann.get("TIME_SLOT_REF1"), ann.get("TIME_SLOT_REF2"))
            if any(r not in slots for r in refs):
                raise InputError(path, f"annotation {ident} on tier {name!r} refers to a time slot the file lacks")
            start, end = (slots[r] for r in refs)
            if start is None or end is None:
                unaligned += 1
                continue
            if end < start:
                raise InputError(path, f"annotation {ident} on tier {name!r} ends ({end:g} s) before it starts "
                                       f"({start:g} s)")
            label = (ann.findtext("ANNOTATION_VALUE") or "").strip().lower()
            if end > start and label not in PAUSE_ANNOTATIONS:
                rows.append((start, end))
        tiers[name] = pd.DataFrame(rows, columns=["start", "end"], dtype=float)
    if unaligned:
        log.warning("%s: %d annotation(s) of top-level tiers have a time slot without a time; left out", path,
                    unaligned)
    return tiers


def _rttm_speakers(path: Path) -> dict[str, pd.DataFrame]:
    """Per speaker id, the SPEAKER segments of an RTTM file (other record types and `;;` comments skipped)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot be read as text ({exc})") from exc
    found: dict[str, list[tuple[float, float]]] = {}
    for n, line in enumerate(lines, 1):
        fields = line.split()
        if not fields or fields[0].startswith(";;") or fields[0] != "SPEAKER":
            continue
        if len(fields) < 8:
            raise InputError(path, f"line {n}: a SPEAKER record has {len(fields)} fields, RTTM has 10 "
                                   f"(type file channel onset duration ortho stype name conf slat)")
        try:
            onset, duration = float(fields[3]), float(fields[4])
        except ValueError as exc:
            raise InputError(path, f"line {n}: onset {fields[3]!r} or duration {fields[4]!r} is not a number of "
                                   f"seconds") from exc
        if not (math.isfinite(onset) and math.isfinite(duration)) or onset < 0 or duration < 0:
            raise InputError(path, f"line {n}: negative or infinite onset or duration ({onset:g} s, {duration:g} s)")
        if duration > 0:
            found.setdefault(fields[7], []).append((onset, onset + duration))
    by_onset = sorted(found, key=lambda s: min(found[s]))  # the first to speak first
    return {s: pd.DataFrame(found[s], columns=["start", "end"]) for s in by_onset}
