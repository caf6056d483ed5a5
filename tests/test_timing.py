"""Event classification on hand-built VA tracks (design: Timing definitions), and the stats row."""

import math

import numpy as np
import pandas as pd
import pytest

from babbler.timing.events import (
    EVENT_COLUMNS,
    dialogue_stats,
    extract_events,
    fto_values,
)
from babbler.va import ipu_track


def va(*rows):
    return pd.DataFrame(rows, columns=["speaker", "start", "end"])


def as_tuples(events, kind=None):
    ev = events if kind is None else events[events["type"] == kind]
    return [(r.type, r.speaker, round(r.start, 2), round(r.end, 2)) for r in ev.itertuples()]


CONVERSATION = va(
    ("A", 1.0, 3.0), ("A", 3.5, 5.0),    # pause A 3.0–3.5
    ("B", 5.3, 8.0),                     # gap B 5.0–5.3
    ("A", 7.5, 10.0),                    # overlap_between A 7.5–8.0
    ("B", 8.5, 9.0),                     # overlap_within A 8.5–9.0 (B spoke 0.5 s before: no backchannel)
    ("B", 11.0, 14.0),                   # gap B 10.0–11.0
    ("A", 12.0, 12.4),                   # isolated backchannel A, overlap_within B 12.0–12.4
    ("A", 15.0, 16.0), ("A", 16.15, 17.0),  # gap A 14.0–15.0; 150 ms silence filled: one IPU 15.0–17.0
    ("B", 16.0, 16.04),                  # 40 ms: dropped, so no overlap here
)


def test_every_event_type_in_a_hand_built_conversation():
    ev = extract_events(CONVERSATION, 20.0)
    assert list(ev.columns) == EVENT_COLUMNS
    assert as_tuples(ev, "ipu") == [
        ("ipu", "A", 1.0, 3.0), ("ipu", "A", 3.5, 5.0), ("ipu", "B", 5.3, 8.0), ("ipu", "A", 7.5, 10.0),
        ("ipu", "B", 8.5, 9.0), ("ipu", "B", 11.0, 14.0), ("ipu", "A", 12.0, 12.4), ("ipu", "A", 15.0, 17.0),
    ]
    assert as_tuples(ev, "pause") == [("pause", "A", 3.0, 3.5)]
    assert as_tuples(ev, "gap") == [("gap", "B", 5.0, 5.3), ("gap", "B", 10.0, 11.0), ("gap", "A", 14.0, 15.0)]
    assert as_tuples(ev, "overlap_between") == [("overlap_between", "A", 7.5, 8.0)]
    assert as_tuples(ev, "overlap_within") == [("overlap_within", "A", 8.5, 9.0), ("overlap_within", "B", 12.0, 12.4)]
    assert as_tuples(ev, "backchannel") == [("backchannel", "A", 12.0, 12.4)]
    assert np.allclose(ev["duration"], ev["end"] - ev["start"])
    assert sorted(fto_values(ev).round(2)) == [-0.5, 0.3, 1.0, 1.0]


def test_stats_row_of_the_conversation():
    ev = extract_events(CONVERSATION, 20.0)
    st = dialogue_stats(ev, 20.0)
    minutes = 20 / 60
    assert st["minutes"] == pytest.approx(minutes)
    assert st["ipu_per_min"] == pytest.approx(8 / minutes)
    assert st["gap_per_min"] == pytest.approx(3 / minutes)
    assert st["gap_sec_per_min"] == pytest.approx(2.3 / minutes)
    assert st["gap_mean"] == pytest.approx(2.3 / 3)
    assert st["backchannel_per_min"] == pytest.approx(1 / minutes)
    assert st["overlap_between_mean"] == pytest.approx(0.5)
    assert st["fto_median"] == pytest.approx(0.65)  # median of -0.5, 0.3, 1.0, 1.0
    assert st["overlap_share"] == pytest.approx(1 / 4)


def test_50ms_and_200ms_rules_at_their_edges():
    track = np.zeros(100, dtype=bool)
    track[10:14] = True  # 40 ms: dropped
    track[20:25] = True  # 50 ms: kept
    track[25 + 19 : 60] = True  # 190 ms silence before it: filled
    track[60 + 20 : 90] = True  # 200 ms silence: kept as a pause
    out = ipu_track(track)
    assert not out[10:14].any()
    assert out[20:60].all()
    assert not out[60:80].any() and out[80:90].all()


def test_ambiguous_simultaneous_starts_and_stops_are_not_counted():
    ev = extract_events(va(("A", 1, 3), ("B", 2, 3), ("A", 4, 5), ("B", 4, 6)), 10.0)
    # overlap 2–3 ends with both stopping; silence 3–4 starts with both stopped and ends with both starting;
    # overlap 4–5 starts with both starting: none is classified.
    assert set(ev["type"]) == {"ipu"}


def test_runs_at_dialogue_start_and_end_are_not_counted():
    ev = extract_events(va(("A", 0.0, 2.0), ("B", 0.0, 1.0), ("B", 3.0, 5.0)), 5.0)
    assert as_tuples(ev, "gap") == [("gap", "B", 2.0, 3.0)]  # leading overlap and trailing run skipped
    assert (ev["type"] != "overlap_within").all() and (ev["type"] != "overlap_between").all()


def test_backchannel_windows():
    base = [("A", 1.0, 6.0), ("A", 8.0, 12.0)]
    # isolated short B IPU inside A's speech: a backchannel
    ev = extract_events(va(*base, ("B", 3.0, 3.5)), 14.0)
    assert as_tuples(ev, "backchannel") == [("backchannel", "B", 3.0, 3.5)]
    # B speaks again 1.5 s after: the first is not isolated; the second (1.5 s of silence before it) is
    ev = extract_events(va(*base, ("B", 3.0, 3.5), ("B", 5.0, 5.5)), 14.0)
    assert as_tuples(ev, "backchannel") == [("backchannel", "B", 5.0, 5.5)]
    # longer than 1 s: not a backchannel
    ev = extract_events(va(*base, ("B", 3.0, 4.2)), 14.0)
    assert as_tuples(ev, "backchannel") == []
    # the 2 s after-window would leave the dialogue: not counted
    ev = extract_events(va(("A", 1.0, 6.0), ("B", 4.5, 5.0)), 6.5)
    assert as_tuples(ev, "backchannel") == []
    # partner silent before it: not a backchannel
    ev = extract_events(va(("A", 1.0, 2.0), ("B", 3.5, 4.0), ("A", 4.5, 6.0)), 9.0)
    assert as_tuples(ev, "backchannel") == []
    # partner speaks before and only in the 1 s after its end: a backchannel in a pause
    ev = extract_events(va(("A", 1.0, 3.0), ("B", 3.2, 3.6), ("A", 4.4, 7.0)), 10.0)
    assert as_tuples(ev, "backchannel") == [("backchannel", "B", 3.2, 3.6)]


def test_one_speaker_silent_throughout():
    ev = extract_events(va(("A", 1.0, 2.0), ("A", 3.0, 4.0)), 6.0)
    assert as_tuples(ev) == [("ipu", "A", 1.0, 2.0), ("pause", "A", 2.0, 3.0), ("ipu", "A", 3.0, 4.0)]
    st = dialogue_stats(ev, 6.0)
    assert st["gap_per_min"] == 0 and st["overlap_between_sec_per_min"] == 0
    assert math.isnan(st["overlap_share"]) and math.isnan(st["gap_mean"])  # undefined, not zero
    assert st["pause_mean"] == pytest.approx(1.0)


def test_no_speech_at_all():
    ev = extract_events(va(), 30.0)
    assert ev.empty and list(ev.columns) == EVENT_COLUMNS
    st = dialogue_stats(ev, 30.0)
    assert all(st[f"{t}_per_min"] == 0 for t in ("ipu", "pause", "gap", "overlap_within", "overlap_between"))


def test_plausibility_guard_fires_on_a_mirrored_channel_and_stays_quiet_on_conversation():
    from babbler.evaluation.metrics import implausible_warnings
    from babbler.timing.events import (
        dialogue_stats,
        events_from_tracks,
        implausible_reasons,
    )

    n = 6000  # one minute
    a = np.zeros(n, dtype=bool)
    b = np.zeros(n, dtype=bool)
    for t in range(0, n - 300, 300):  # alternating turns with short gaps
        a[t : t + 140] = True
        b[t + 160 : t + 280] = True
    normal = dialogue_stats(events_from_tracks({"A": a, "B": b}), n / 100)
    assert normal["implausible"] == 0 and implausible_reasons(normal) == []
    assert normal["speech_share_A"] == pytest.approx(19 * 140 / n, abs=0.001) and normal["va_mirror"] == 0.0
    # one channel holds both talkers at equal level: its VA is the union, mirroring the partner's
    both = a | b
    broken = dialogue_stats(events_from_tracks({"A": both, "B": b}), n / 100)
    reasons = " | ".join(implausible_reasons(broken))
    assert broken["implausible"] == 1 and "mirrors its partner" in reasons and broken["va_mirror"] == 1.0 and "channel A speaks" in reasons
    assert "of speaker changes are in overlap" not in reasons  # only the failures that happened are named
    table = pd.DataFrame([{"dialogue": "ok", **normal}, {"dialogue": "bad", **broken}])
    warnings = implausible_warnings(table)
    assert len(warnings) == 1 and warnings[0].startswith("human dialogue bad: ")
