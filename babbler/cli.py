"""The `babbler` command: talk with a trained agent (`babbler respond`, `babbler live`)."""

from __future__ import annotations

import argparse
import sys

from babbler.errors import BabblerError


def _saved_model(path: str, kind: type, need: str):
    """The model saved at `path` if it is a `kind`; otherwise a BabblerError naming the file and what `need`s it."""
    from babbler.models.registry import load_model

    model = load_model(path)  # InputError naming the file and what it holds instead
    if not isinstance(model, kind):
        raise BabblerError(f"{path}: a {type(model).__name__} model; {need}")
    return model


def agent_model(path: str, threads: int):
    """The trained transformer at `path` (BabblerError naming the file otherwise), torch on `threads` threads."""
    import torch

    from babbler.models.transformer import FrameTransformer

    torch.set_num_threads(threads)
    return _saved_model(path, FrameTransformer,
                        "the live agent needs a trained transformer (results/models/{corpus}/transformer.pt)")


# Each numeric option's rule: a config setting's schema (the same rule as in config.yaml), or its own.
OPTION_RULES: dict[str, str | dict] = {
    "seed": "sample.seed",
    "temperature": "sample.temperature",
    "markov_weight": "sample.markov_weight",
    "threads": {"type": "integer", "minimum": 1},
    "agent_f0": {"type": "number", "minimum": 50, "maximum": 500},  # Hz: the range of human voices' median F0
    "max_sessions": {"type": "integer", "minimum": 1},
    "port": {"type": "integer", "minimum": 0, "maximum": 65535},
}


def check_options(args: argparse.Namespace) -> None:
    """Raise BabblerError naming the first numeric option that breaks its rule (OPTION_RULES)."""
    from babbler.config import number_problem, number_rule, setting_rule

    for name, rule in OPTION_RULES.items():
        if getattr(args, name, None) is None:
            continue
        problem = number_problem(getattr(args, name), number_rule(setting_rule(rule)) if isinstance(rule, str) else rule)
        if problem:
            where = f" (as {rule} in the config)" if isinstance(rule, str) else ""
            raise BabblerError(f"--{name.replace('_', '-')} {problem}{where}")


def tuned_settings(path: str | None) -> tuple[dict[str, float], tuple[float, ...] | None]:
    """The sample settings a workflow run chose on validation (`--sampling results/models/{corpus}/sampling.json`)
    and the agent's recalibrated odds they imply, read as data; ({}, None) without the option. A file that is not
    such a record is refused with its name."""
    import json
    import math
    from pathlib import Path

    from babbler.config import number_problem, number_rule, setting_rule
    from babbler.sampling.odds import CONTEXTS
    from babbler.sampling.tunables import TUNABLES, calibration_odds

    if path is None:
        return {}, None
    try:
        record = json.loads(Path(path).read_text())
        chosen = record["chosen"]
        values = {k: float(chosen[k]) for k in TUNABLES}
        calibration = calibration_odds(record, values["markov_weight"], values["calibration"])
        if calibration is not None and (len(calibration) != len(CONTEXTS) or
                                        not all(math.isfinite(o) and o > 0 for o in calibration)):
            raise ValueError(f"calibration odds {calibration} are not {len(CONTEXTS)} positive numbers")
    except OSError as exc:
        raise BabblerError(f"--sampling {path}: cannot read it ({exc.strerror or exc})") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise BabblerError(f"--sampling {path}: not the sample settings a workflow run chose "
                           f"(results/models/{{corpus}}/sampling.json): {type(exc).__name__} {exc}") from None
    for k, v in values.items():
        problem = number_problem(v, number_rule(setting_rule(f"sample.{k}")))
        if problem:
            raise BabblerError(f"--sampling {path}: chosen {k} {problem}")
    return values, None if calibration is None else tuple(calibration)


def agent_options(args: argparse.Namespace, live: bool = False) -> dict:
    """The agent's sampling and voice: `stop`, `voice` (--voice NAME --voice-model PATH…), `temperature`, and
    `markov` with `markov_weight` (--markov PATH --markov-weight W); the temperature and weight as given, else as the
    workflow chose them (--sampling), else neutral (1, 0)."""
    from babbler.config import with_defaults
    from babbler.live.respond import AgentVoice
    from babbler.voices.registry import (
        VOICES,
        load_voice_model,
        render_settings,
        voice_models,
    )

    voice = VOICES[args.voice]
    if live and voice.stream is None:
        streaming = ", ".join(n for n, v in VOICES.items() if v.stream is not None)
        raise BabblerError(f"--voice {args.voice} renders whole tracks, not 20 ms at a time; `babbler live` takes "
                           f"{streaming} (`babbler respond` takes any voice)")
    needed = voice_models(args.voice)
    if len(args.voice_model or []) != len(needed):
        what = f"its trained model(s), in this order: {', '.join(f'{n}.pt' for n in needed)}" if needed else "none"
        raise BabblerError(f"--voice {args.voice} needs --voice-model for {what} (results/models/{{corpus}}/…); "
                           f"got {len(args.voice_model or [])}")
    settings = render_settings(with_defaults({}), args.voice)
    options = {"stop": args.stop, "voice": AgentVoice(args.voice, load_voice_model(args.voice, args.voice_model)
                                                      if needed else None, settings)}
    from babbler.sampling.tunables import LISTEN_ODDS, TUNABLES

    tuned, calibration = tuned_settings(args.sampling)
    weight = args.markov_weight if args.markov_weight is not None else tuned.get(
        "markov_weight", TUNABLES["markov_weight"].neutral)
    options["temperature"] = args.temperature if args.temperature is not None else tuned.get(
        "temperature", TUNABLES["temperature"].neutral)
    options["odds"] = tuple(tuned.get(k, TUNABLES[k].neutral) for k in LISTEN_ODDS)
    if calibration is not None and weight != tuned["markov_weight"]:
        print(f"babbler: note: the odds --sampling recalibrated were fitted at markov weight {tuned['markov_weight']:g}"
              f", not {weight:g}: the agent takes its model's own odds", file=sys.stderr)
        calibration = None
    options["calibration"] = calibration  # the odds recalibrated on validation, as the workflow's agent takes them
    if weight > 0 and not args.markov:
        given = "--markov-weight W > 0" if args.markov_weight is not None else f"--sampling's markov_weight {weight:g}"
        raise BabblerError(f"{given} needs --markov PATH: the agent's frames are drawn from "
                           "(1 − W) × the transformer + W × that markov baseline, as sample.markov_weight")
    if args.markov and weight == 0:
        print("babbler: note: --markov with markov weight 0 mixes nothing in; give --markov-weight W > 0 (or "
              "--sampling with a chosen weight > 0)", file=sys.stderr)
    if args.markov:
        from babbler.models.baselines import MarkovModel

        options["markov"] = _saved_model(args.markov, MarkovModel,
                                         "--markov needs the markov baseline (results/models/{corpus}/markov.pt)")
        options["markov_weight"] = weight
    return options


def _respond(args: argparse.Namespace) -> int:
    """`babbler respond`: answer a recorded partner and write the stereo result."""
    from babbler.live.respond import respond

    model = agent_model(args.model, args.threads)
    options = agent_options(args)
    va = respond(model, args.partner, args.out, args.va, seed=args.seed,
                 agent_f0=args.agent_f0, progress=not args.quiet, **options)
    agent = va[va["speaker"] == "B"]
    print(f"wrote {args.out} (partner, agent) and its VA; the agent spoke {len(agent)} IPUs, "
          f"{(agent['end'] - agent['start']).sum():.1f} s")
    return 0


def _live(args: argparse.Namespace) -> int:
    """`babbler live`: serve the page and talk with whoever opens it."""
    import logging
    from pathlib import Path

    from babbler.live.server import LiveConfig, serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    options = agent_options(args, live=True)
    model = agent_model(args.model, args.threads)
    record = Path(args.record) if args.record else None
    if record is not None:
        if record.exists() and not record.is_dir():
            raise BabblerError(f"--record {record}: a file is in the way; give a folder (new or existing) to record to")
        try:
            record.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BabblerError(f"--record {record}: cannot make the folder ({exc.strerror or exc})") from exc
    serve(LiveConfig(model, seed=args.seed, max_sessions=args.max_sessions,
                     record=record, agent_f0=args.agent_f0, **options), host=args.host, port=args.port)
    return 0


def default(key: str):
    """A setting's default in the config schema: the CLI's defaults are the workflow's."""
    from babbler.config import setting_rule

    return setting_rule(key)["default"]


def _agent_options(command: argparse.ArgumentParser) -> None:
    """The options every agent command shares, their defaults those of the config settings they mirror."""
    from babbler.config import setting_rule
    from babbler.voices.registry import VOICES

    command.add_argument("--seed", type=int, default=default("sample.seed"), help="sampling seed (as sample.seed)")
    command.add_argument("--temperature", type=float, default=None,
                         help="sampling temperature (as sample.temperature; default: --sampling's, else 1)")
    command.add_argument("--stop", choices=setting_rule("sample.stop")["enum"], default=default("sample.stop"),
                         help="how the agent's speech runs end (as sample.stop)")
    command.add_argument("--voice", choices=list(VOICES), default=default("sample.voice"),
                         help="the registered voice the agent speaks with (as sample.voice)")
    command.add_argument("--voice-model", nargs="+", default=None, metavar="PATH",
                         help="a trained voice's model(s), e.g. results/models/demo/wavenet.pt")
    command.add_argument("--agent-f0", type=float, default=120.0, help="the agent voice's median F0 in Hz")
    command.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    command.add_argument("--markov", default=None,
                         help="the markov baseline to interpolate the agent with, e.g. results/models/demo/markov.pt")
    command.add_argument("--markov-weight", type=float, default=None,
                         help="with --markov: the chain's share w > 0 of each frame's distribution "
                              "(as sample.markov_weight; default: --sampling's, else 0)")
    command.add_argument("--sampling", default=None, metavar="PATH",
                         help="the sample settings a workflow run chose on validation, e.g. "
                              "results/models/demo/sampling.json (its temperature, markov weight and the "
                              "listener's start odds)")


def parser() -> argparse.ArgumentParser:
    """The command line of `babbler`."""
    ap = argparse.ArgumentParser(prog="babbler", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    r = sub.add_parser("respond", help="answer a one-speaker recording with a trained agent",
                       description="Run the live loop offline: the partner's recording 20 ms at a time through the "
                                   "causal front end, the agent's decision, its voice. Writes a stereo WAV "
                                   "(partner, agent) at 16 kHz and a VA table (A = partner, B = agent).")
    r.add_argument("partner", help="one-speaker recording (WAV/FLAC, any sample rate)")
    r.add_argument("out", help="stereo WAV to write")
    r.add_argument("--model", required=True, help="a trained transformer, e.g. results/models/demo/transformer.pt")
    r.add_argument("--va", default=None, help="VA table to write (default: OUT with suffix .va.csv)")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    _agent_options(r)
    r.set_defaults(func=_respond)
    live = sub.add_parser("live", help="talk with a trained agent in the browser",
                          description="Serve a page that streams the microphone to the agent and plays its answer.")
    live.add_argument("--model", required=True, help="a trained transformer, e.g. results/models/demo/transformer.pt")
    live.add_argument("--port", type=int, default=8765)
    live.add_argument("--host", default="127.0.0.1", help="address to bind (default: this machine only)")
    live.add_argument("--max-sessions", type=int, default=4, help="conversations at once; more are refused")
    live.add_argument("--record", default=None, help="folder to write each finished session's audio and VA to")
    _agent_options(live)
    live.set_defaults(func=_live)
    return ap


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `babbler` console script."""
    args = parser().parse_args(argv)
    try:
        check_options(args)
        return args.func(args)
    except BabblerError as exc:
        print(f"babbler: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
