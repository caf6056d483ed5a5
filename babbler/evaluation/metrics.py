"""Timing evaluation: every system's event durations against held-out human dialogue (design: Metrics)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from babbler.sampling.modes.registry import MODES
from babbler.sampling.modes.spec import ModeEvents
from babbler.sampling.systems import BASELINES, SYSTEMS, agent_system
from babbler.timing.events import durations, implausible_reasons, read_events

# Duration distributions compared with `real` (design: distance.{system}.{T}_w1_ratio).
DISTANCE_TYPES = ("ipu", "pause", "gap", "overlap_between", "fto")
REFERENCE = "human_reference"  # real dialogues outside the test split, scored in selfplay's place
# The published per-minute convention (dGSLM and NTPP, Table 2 of each): overlap counts within and between turns.
MINUTE_TYPES = {"ipu": ("ipu",), "pause": ("pause",), "gap": ("gap",), "overlap": ("overlap_within", "overlap_between")}


def source_system(path: str | Path) -> str:
    """'real' for a file of the corpus's own timing folder, else the generated set's system name."""
    folder = Path(path).parent.name
    return folder.split(".", 1)[1] if "." in folder else "real"


def read_source_events(paths) -> tuple[dict[str, pd.DataFrame], dict[str, dict[str, pd.DataFrame]]]:
    """Events files `timing/{source}/{dlg}.events.csv` → human events by dialogue, and generated ones by system."""
    human, generated = {}, {}
    for path in paths:
        system, dlg = source_system(path), Path(path).name.removesuffix(".events.csv")
        (human if system == "real" else generated.setdefault(system, {}))[dlg] = read_events(path)
    return human, generated


def pooled(events: dict[str, pd.DataFrame], kind: str, dialogues=None) -> np.ndarray:
    """The durations of one type pooled over a set of dialogues (all when `dialogues` is None)."""
    keys = sorted(events) if dialogues is None else dialogues
    return _pool({k: durations(events[k], kind) for k in keys}, keys)


def duration_arrays(events: dict[str, pd.DataFrame]) -> dict[str, dict[str, np.ndarray]]:
    """Per type, each dialogue's durations: read once for the many pools a bootstrap draws."""
    return {kind: {d: durations(e, kind) for d, e in events.items()} for kind in DISTANCE_TYPES}


def _pool(arrays: dict[str, np.ndarray], dialogues) -> np.ndarray:
    """`pooled` from `duration_arrays`' output for one type: the same values in the same order."""
    parts = [arrays[k] for k in dialogues]
    return np.concatenate(parts) if parts else np.zeros(0)


@dataclass(frozen=True)
class Distance:
    """Wasserstein-1 (s) and Kolmogorov–Smirnov statistic between two duration samples."""

    w1: float
    ks: float


def distance(x: np.ndarray, y: np.ndarray) -> Distance:
    """W1 and KS between two samples; NaN when either is empty."""
    if len(x) == 0 or len(y) == 0:
        return Distance(math.nan, math.nan)
    return Distance(float(stats.wasserstein_distance(x, y)), float(stats.ks_2samp(x, y).statistic))


def halvings(dialogues: list[str], size: int, draws: int, seed: int) -> list[tuple[list[str], list[str]]]:
    """`draws` random pairs of disjoint dialogue sets of `size` each (the human noise floor's halves)."""
    if size < 1 or 2 * size > len(dialogues):
        return []
    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(draws):
        order = [dialogues[i] for i in rng.permutation(len(dialogues))]
        pairs.append((sorted(order[:size]), sorted(order[size : 2 * size])))
    return pairs


def human_reference(human: dict[str, pd.DataFrame], test_ids: list[str], size: int, seed: int) -> dict[str, pd.DataFrame]:
    """`size` human dialogues outside the test split (seeded draw; {} if there are too few): scored like a generated
    system, they show what a perfect model of human timing would score against the test split."""
    others = sorted(set(human) - set(test_ids))
    if size < 1 or len(others) < size:
        return {}
    rng = np.random.default_rng(seed)
    return {d: human[d] for d in sorted(others[i] for i in rng.permutation(len(others))[:size])}


def noise_floor(human: dict[str, pd.DataFrame], pairs: list[tuple[list[str], list[str]]]) -> dict[str, Distance]:
    """Per type, the mean W1 and KS between the two disjoint human dialogue sets of each pair (see halvings)."""
    floor = {}
    arrays = duration_arrays(human)
    for kind in DISTANCE_TYPES:
        ds = [distance(_pool(arrays[kind], a), _pool(arrays[kind], b)) for a, b in pairs]
        ds = [d for d in ds if not math.isnan(d.w1)]
        floor[kind] = Distance(
            float(np.mean([d.w1 for d in ds])) if ds else math.nan,
            float(np.mean([d.ks for d in ds])) if ds else math.nan,
        )
    return floor


def _ratio(value: float, floor: float) -> float:
    """value / floor, NaN where the floor is missing or zero."""
    return value / floor if floor and not math.isnan(floor) else math.nan


def distance_table(
    real: dict[str, pd.DataFrame], systems: dict[str, dict[str, pd.DataFrame]], floor: dict[str, Distance]
) -> pd.DataFrame:
    """One row per system and type: sample sizes, W1, KS, the noise floor and both ratios."""
    rows = []
    for system, events in systems.items():
        for kind in DISTANCE_TYPES:
            x, y = pooled(events, kind), pooled(real, kind)
            d = distance(x, y)
            rows.append({
                "system": system, "type": kind, "n_system": len(x), "n_real": len(y),
                "w1": d.w1, "ks": d.ks, "w1_floor": floor[kind].w1, "ks_floor": floor[kind].ks,
                "w1_ratio": _ratio(d.w1, floor[kind].w1), "ks_ratio": _ratio(d.ks, floor[kind].ks),
            })
    return pd.DataFrame(rows)


def bootstrap_ratios(
    real: dict[str, pd.DataFrame],
    systems: dict[str, dict[str, pd.DataFrame]],
    floor: dict[str, Distance],
    draws: int,
    seed: int,
) -> dict[str, dict[str, np.ndarray]]:
    """W1 ratios of every system and type over `draws` resamplings of dialogues (with replacement).

    Each draw resamples the human test dialogues once, shared by all systems, and each system's own
    dialogues, so that two systems' ratios in one draw can be compared (a paired cluster bootstrap).
    """
    rng = np.random.default_rng(seed)
    real_ids = sorted(real)
    real_arrays = duration_arrays(real)
    system_arrays = {system: duration_arrays(events) for system, events in systems.items()}
    out = {s: {k: np.full(draws, np.nan) for k in DISTANCE_TYPES} for s in systems}
    for b in range(draws):
        rr = list(rng.choice(real_ids, len(real_ids)))
        for system, events in systems.items():
            ids = sorted(events)
            ss = list(rng.choice(ids, len(ids)))
            for kind in DISTANCE_TYPES:
                x, y = _pool(system_arrays[system][kind], ss), _pool(real_arrays[kind], rr)
                w1 = float(stats.wasserstein_distance(x, y)) if len(x) and len(y) else math.nan
                out[system][kind][b] = _ratio(w1, floor[kind].w1)
    return out


def interval(values: np.ndarray, level: float = 0.9) -> list[float]:
    """The central `level` percentile interval of the finite values ([NaN, NaN] when none)."""
    v = values[np.isfinite(values)]
    if not len(v):
        return [math.nan, math.nan]
    lo = (1 - level) / 2
    return [float(np.quantile(v, lo)), float(np.quantile(v, 1 - lo))]


def minute_rates(stats_table: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per MINUTE_TYPES type: events per minute and seconds per minute over a set of dialogues (totals divided by
    the total minutes, so long dialogues weigh as much as their length)."""
    minutes = stats_table["minutes"].to_numpy(float)
    total = minutes.sum()
    out = {}
    for kind, parts in MINUTE_TYPES.items():
        rates = {}
        for stat in ("per_min", "sec_per_min"):
            amount = sum(stats_table[f"{t}_{stat}"].to_numpy(float) * minutes for t in parts)
            rates[stat] = float(np.sum(amount) / total) if total > 0 else math.nan
        out[kind] = rates
    return out


def has_minute_columns(stats_table: pd.DataFrame) -> bool:
    """Whether a stats table holds what `minute_rates` reads."""
    need = {"minutes"} | {f"{t}_{s}" for parts in MINUTE_TYPES.values() for t in parts for s in ("per_min", "sec_per_min")}
    return need <= set(stats_table.columns)


def abs_diff_sec_per_min(rates: dict[str, dict[str, float]], reference: dict[str, dict[str, float]]) -> float:
    """Mean over the four types of |seconds per minute − the reference's| (the dGSLM/NTPP summary number)."""
    return float(np.mean([abs(rates[k]["sec_per_min"] - reference[k]["sec_per_min"]) for k in MINUTE_TYPES]))


def minute_table(stats_tables: dict[str, pd.DataFrame], test_ids: list[str],
                 pairs: list[tuple[list[str], list[str]]]) -> dict:
    """metrics.json's `minutes`: every system's per-minute rates, its mean absolute difference to the human test
    split, and the same difference between two disjoint sets of human dialogues (the human floor, mean over the
    noise floor's pairs of sets)."""
    human = stats_tables["real"].set_index("dialogue")
    real = minute_rates(human.loc[[d for d in test_ids if d in human.index]])
    out: dict = {"real": real}
    for system, table in stats_tables.items():
        if system != "real" and has_minute_columns(table):
            rates = minute_rates(table)
            out[system] = {**rates, "abs_diff_sec_per_min": abs_diff_sec_per_min(rates, real)}
    floors = [abs_diff_sec_per_min(minute_rates(human.loc[a]), minute_rates(human.loc[b])) for a, b in pairs
              if set(a) | set(b) <= set(human.index)]
    out["human_floor"] = {"abs_diff_sec_per_min": float(np.mean(floors)) if floors else math.nan,
                          "pairs": len(floors)}
    return out


def system_means(stats_table: pd.DataFrame) -> dict[str, float]:
    """The mean of every numeric stats.csv column (NaN-skipping), as the design's systems.{system}."""
    numeric = stats_table.drop(columns=["dialogue"], errors="ignore").apply(pd.to_numeric, errors="coerce")
    return {c: float(numeric[c].mean()) for c in numeric.columns}


def ranking(distances: pd.DataFrame, kinds=DISTANCE_TYPES) -> pd.DataFrame:
    """Systems ordered by their mean W1 ratio over `kinds` (closest to human timing first)."""
    table = distances[distances["type"].isin(kinds)].pivot(index="system", columns="type", values="w1_ratio")
    table = table[list(kinds)]
    # types the human data lacks have no floor and are left out; a system missing a type the humans have ranks last
    floored = distances[distances["w1_floor"].notna()]["type"].unique()
    scored = [k for k in kinds if k in floored]
    table["mean_w1_ratio"] = table[scored].mean(axis=1, skipna=False) if scored else math.nan
    return table.sort_values("mean_w1_ratio", na_position="last")


def neural_vs_baselines(distances: pd.DataFrame, boot: dict[str, dict[str, np.ndarray]] | None = None,
                        system: str = "selfplay", kinds=DISTANCE_TYPES) -> dict[str, dict]:
    """Per type, whether the neural system's W1 ratio is below both baselines', with the three numbers,
    and (given bootstrap ratios) the share of resamplings in which it is below each baseline's."""
    ratio = distances.set_index(["system", "type"])["w1_ratio"]
    out = {}
    for kind in kinds:
        ours = float(ratio.get((system, kind), math.nan))
        base = {b: float(ratio.get((b, kind), math.nan)) for b in BASELINES}
        out[kind] = {system: ours, **base, "closer": bool(all(ours < v for v in base.values()))}
        if boot and system in boot:
            out[kind]["p_closer"] = {
                b: float(np.mean(boot[system][kind] < boot[b][kind])) for b in BASELINES if b in boot
            }
    return out


def reference_scores(real: dict[str, pd.DataFrame], reference: dict[str, pd.DataFrame], floor: dict[str, Distance],
                     boot: dict[str, dict[str, np.ndarray]]) -> dict:
    """The human reference's W1 ratios and (given bootstrap ratios) its shares of resamplings closer than each
    baseline: the bar of `selfplay_vs_baselines` that real dialogues themselves reach."""
    if not reference:
        return {}
    ratio = distance_table(real, {REFERENCE: reference}, floor).set_index("type")["w1_ratio"]
    out = {"dialogues": sorted(reference), **{f"{k}_w1_ratio": float(ratio[k]) for k in DISTANCE_TYPES}}
    if REFERENCE in boot:
        out["p_closer"] = {b: {k: float(np.mean(boot[REFERENCE][k] < boot[b][k])) for k in DISTANCE_TYPES}
                           for b in BASELINES if b in boot}
    return out


def finite_or_none(value):
    """JSON-safe numbers: NaN and infinities become None, recursively."""
    if isinstance(value, dict):
        return {k: finite_or_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_none(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def comparison_warnings(real_stats: pd.DataFrame, test_ids: list[str], distances: pd.DataFrame,
                        floor_size: int) -> list[str]:
    """Why the comparison with human timing may be empty or meaningless (a tiny or degenerate test split)."""
    out = []
    if not test_ids:
        return ["the test split is empty: no system can be compared with human timing"]
    missing = sorted(set(test_ids) - set(real_stats["dialogue"]))
    if missing:
        out.append(f"no timing statistics for test dialogue(s) {', '.join(missing)}")
    if floor_size < 1:
        out.append("too few human dialogues for two disjoint halves: there is no noise floor, so no W1 ratio")
    real_n = distances.drop_duplicates("type").set_index("type")["n_real"] if len(distances) else pd.Series(dtype=int)
    empty = [k for k in DISTANCE_TYPES if int(real_n.get(k, 0)) == 0]
    if empty:
        out.append(f"the human test dialogues hold no {', '.join(empty)} events: those distances are undefined")
    if len(distances) == 0 or not np.isfinite(distances["w1_ratio"].to_numpy(float)).any():
        out.append("every distance to human timing is undefined: this report compares nothing")
    if 0 < len(test_ids) < 3:
        out.append(f"only {len(test_ids)} test dialogue(s): continuation Pearson r needs at least 3, and every "
                   "distance rests on very little data")
    return out


def implausible_warnings(human_stats: pd.DataFrame) -> list[str]:
    """One warning per human dialogue whose extracted timing lies far outside two-party conversation."""
    if "implausible" not in human_stats:
        return []
    flagged = {row["dialogue"]: implausible_reasons(row) for row in human_stats.to_dict(orient="records")}
    return [f"human dialogue {dlg}: {'; '.join(why)}. Its voice activity may be wrongly extracted; check vad.method "
            "before trusting these numbers" for dlg, why in flagged.items() if why]


@dataclass
class Evaluation:
    """Everything the evaluate stage writes: metrics.json's content and its CSV tables."""

    metrics: dict
    systems: pd.DataFrame
    distances: pd.DataFrame
    tables: dict[str, pd.DataFrame]  # the modes' tables (continuation.csv)


def evaluate(
    human: dict[str, pd.DataFrame],
    test_ids: list[str],
    generated: dict[str, dict[str, pd.DataFrame]],
    stats_tables: dict[str, pd.DataFrame],
    frame_models: dict[str, dict],
    voices: dict[str, dict],
    modes: dict[str, dict],
    draws: int,
    seed: int,
    bootstrap: int = 0,
) -> Evaluation:
    """Score every generated system against the human test split (design: metrics.json contract).

    `human` holds the events of every human dialogue (the noise floor draws from all of them),
    `generated` the events of each system's dialogues and `stats_tables` each system's stats.csv,
    `real` included (restricted here to the test split), and `modes` every mode's settings; each mode adds its own
    metrics (babbler.sampling.modes). With `bootstrap` > 0, dialogues are resampled that many times for 90 %
    intervals of the W1 ratios and the baseline comparison.
    """
    real = {k: human[k] for k in test_ids}
    size = min(len(test_ids), len(human) // 2)
    pairs = halvings(sorted(human), size, draws, seed)
    floor = noise_floor(human, pairs)
    distances = distance_table(real, generated, floor)
    boot = bootstrap_ratios(real, generated, floor, bootstrap, seed) if bootstrap else {}
    agent = agent_system("selfplay")
    reference = human_reference(human, list(test_ids), len(generated.get(agent, {})), seed)
    reference_boot = {}
    if reference and bootstrap:  # its own paired draws with the baselines, so the systems' draws stay as they were
        paired = {b: generated[b] for b in BASELINES if b in generated}
        reference_boot = bootstrap_ratios(real, {**paired, REFERENCE: reference}, floor, bootstrap, seed)
    if boot:
        cis = {(s, k): interval(v) for s, per in boot.items() for k, v in per.items()}
        distances["w1_ratio_lo"] = [cis[(r.system, r.type)][0] for r in distances.itertuples()]
        distances["w1_ratio_hi"] = [cis[(r.system, r.type)][1] for r in distances.itertuples()]
    real_stats = stats_tables["real"][stats_tables["real"]["dialogue"].isin(test_ids)]
    systems = {"real": system_means(real_stats)}
    systems.update({s: system_means(t) for s, t in stats_tables.items() if s != "real"})
    systems_table = pd.DataFrame.from_dict(systems, orient="index").rename_axis("system").reset_index()
    rank = ranking(distances)
    by_mode = {m: [s for s in generated if s in SYSTEMS and SYSTEMS[s].mode == m] for m in MODES}
    per_mode = {m: ModeEvents(real, generated, by_mode, real_stats, modes.get(m, {})) for m in MODES}
    warnings = implausible_warnings(stats_tables["real"]) + comparison_warnings(real_stats, list(test_ids), distances,
                                                                                 size)
    warnings += [w for m, spec in MODES.items() for w in spec.warnings(per_mode[m])]
    results = {m: spec.evaluate(per_mode[m]) for m, spec in MODES.items() if spec.evaluate}
    metrics = {
        "warnings": warnings,
        "systems": systems,
        "distance": {
            s: {
                **{f"{r.type}_{m}": getattr(r, m) for r in g.itertuples() for m in ("w1", "ks", "w1_ratio", "ks_ratio")},
                **({f"{r.type}_w1_ratio_ci90": [r.w1_ratio_lo, r.w1_ratio_hi] for r in g.itertuples()} if boot else {}),
            }
            for s, g in distances.groupby("system", sort=False)
        },
        "bootstrap_draws": bootstrap,
        "noise_floor": {
            "dialogues_per_half": size, "draws": len(pairs),
            **{f"{k}_{m}": getattr(floor[k], m) for k in DISTANCE_TYPES for m in ("w1", "ks")},
        },
        "ranking": [{"system": s, **row} for s, row in rank.to_dict(orient="index").items()],
        "selfplay_vs_baselines": neural_vs_baselines(distances, boot, agent) if agent in generated else {},
        "human_reference": reference_scores(real, reference, floor, reference_boot),
        **{m: r.metrics for m, r in results.items()},
        "minutes": minute_table(stats_tables, list(test_ids), pairs) if has_minute_columns(stats_tables["real"]) else {},
        "frame_model": frame_models,
        "voice": voices,
        "test_dialogues": list(test_ids),
    }
    tables = {name: t for r in results.values() for name, t in r.tables.items()}
    return Evaluation(finite_or_none(metrics), systems_table, distances, tables)
