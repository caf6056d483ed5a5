"""`babbler live`: a small local web app where a person talks with a trained agent through the browser.

One page (`babbler/live/web/`) captures the microphone with an AudioWorklet at 16 kHz, streams 20 ms hops (320 float32
samples, binary WebSocket messages) and plays the agent's audio as it comes back. For every hop the server runs the
live loop of `babbler.live.respond.LiveSession` (front end, Agent.step, streaming voice) and answers with the agent's next
20 ms (binary) and a JSON frame `{"type": "frame", "hop": i, "partner": 0|1, "agent": 0|1}` for the page's timeline.

The protocol opens with a JSON hello, `{"type": "hello", "sampleRate": 16000}`; any other rate is refused. The server
binds 127.0.0.1 unless told otherwise and answers only requests addressed to the names it was started for (so a
page that rebinds its own DNS name to this machine gets nothing), refuses a WebSocket whose Origin is not the page's
own, caps a message at `MAX_MESSAGE` bytes and the number of sessions at `max_sessions` (HTTP 503 past it), paces a
client that streams faster than real time, and frees a session when its page goes away. A session keeps only its
tokens in memory; with `record`, its audio (partner, agent) streams to a file in that folder and its VA is written
beside it when it ends, numbered after every session already there (never over one).
"""

from __future__ import annotations

import asyncio
import errno
import itertools
import json
import logging
import os
import re
import socket
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import soundfile as sf
from aiohttp import WSMsgType, web

from babbler.errors import BabblerError
from babbler.live.frontend import HOP, STREAM_RATE
from babbler.live.respond import AgentVoice, Conversation, LiveSession
from babbler.models.baselines import MarkovModel
from babbler.models.transformer import FrameTransformer

log = logging.getLogger(__name__)
MAX_MESSAGE = 4096  # bytes: a hop is 1280, the hello far less
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
SESSION_FILE = re.compile(r"^\.?session-(\d+)\.")
PAGE_FILES = {"/": ("index.html", "text/html"), "/babbler-io.js": ("babbler-io.js", "text/javascript")}


@dataclass
class LiveConfig:
    """What the server needs: the model, the sampling settings, the limits, where to record sessions."""

    model: FrameTransformer
    temperature: float = 1.0
    seed: int = 0
    max_sessions: int = 4
    record: Path | None = None
    agent_f0: float = 120.0
    markov: MarkovModel | None = None  # the count model the agent is interpolated with (sample.markov_weight)
    markov_weight: float = 0.0
    odds: tuple[float, float] = (1.0, 1.0)  # the agent's start odds (sample.listen_overlap_odds, listen_gap_odds)
    calibration: tuple[float, ...] | None = None  # the agent's recalibrated odds per context (sample.calibration)
    stop: str = "overlap"  # how the agent's speech runs end (sample.stop)
    voice: AgentVoice | None = None  # a registered voice that renders 20 ms at a time; None: source_filter
    hosts: frozenset = LOOPBACK  # the host names requests may be addressed to (allowed_hosts of the bound address)
    max_ahead: float = 1.0  # seconds a client's stream may run ahead of real time before the server waits
    active: set = field(default_factory=set)
    counter: itertools.count | None = None  # session numbers: after the last recorded one in `record`

    def __post_init__(self):
        if self.counter is None:
            self.counter = itertools.count(next_session_number(self.record) if self.record else 0)


def next_session_number(folder: Path) -> int:
    """One past the highest session number recorded in `folder` (0 for none): a restarted server never reuses a
    number."""
    numbers = [int(m[1]) for m in map(SESSION_FILE.match, os.listdir(folder)) if m] if folder.is_dir() else []
    return max(numbers, default=-1) + 1


def allowed_hosts(host: str) -> frozenset[str]:
    """The host names a browser may address this server by: the loopback names and the bound address; bound to
    every interface, also this machine's own names and addresses."""
    names = set(LOOPBACK) | {host.strip("[]")}
    if host in ("0.0.0.0", "::", ""):
        names |= {socket.gethostname(), socket.getfqdn()}
        try:
            names |= {str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None)}
        except OSError:
            pass
    return frozenset(n.lower() for n in names if n)


class Recording:
    """A live session's stereo audio (partner, agent) streamed to a hidden file as it comes, then put in place with
    its VA when the session ends, never over an existing file."""

    def __init__(self, folder: Path, number: int):
        while True:  # the first free number from `number` on (another server may share the folder)
            self.stem = folder / f"session-{number:03d}"
            self.part = folder / f".session-{number:03d}.wav.part"
            if not (self.wav.exists() or self.va.exists()):
                try:  # reserved by creating its part file: no other server takes the same number
                    os.close(os.open(self.part, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
                    break
                except FileExistsError:
                    pass
            number += 1
        self.number = number
        self.file = sf.SoundFile(self.part, "w", samplerate=STREAM_RATE, channels=2, subtype="PCM_16", format="WAV")
        self.agent_now = np.zeros(HOP)  # the agent's audio of the current frame: its answer to the previous hop
        self.clipped = 0

    @property
    def wav(self) -> Path:
        return self.stem.with_suffix(".wav")

    @property
    def va(self) -> Path:
        return self.stem.with_suffix(".va.csv")

    def add(self, partner: np.ndarray, agent_next: np.ndarray) -> None:
        """One hop: the partner's 20 ms and the agent's audio of the same frame; `agent_next` is its next."""
        frame = np.stack([partner, self.agent_now], axis=1)
        self.clipped += int((np.abs(frame) > 1.0).sum())
        self.file.write(np.clip(frame, -1.0, 1.0))
        self.agent_now = agent_next

    def finish(self, talk: Conversation) -> None:
        """Close the audio and put it in place with the session's VA (neither overwrites anything)."""
        self.file.close()
        va_part = self.part.with_name(f".{self.stem.name}.va.csv.part")
        talk.va().round(2).to_csv(va_part, index=False)
        for done, final in ((self.part, self.wav), (va_part, self.va)):
            try:
                os.link(done, final)  # fails rather than replace a file that appeared meanwhile
                os.unlink(done)
            except FileExistsError:
                raise
            except OSError:  # a file system without hard links: the checked rename
                if final.exists():
                    raise FileExistsError(f"{final} appeared during the session; the recording stays as {done}")
                os.replace(done, final)
        if self.clipped:
            log.warning("%s: %d samples beyond full scale were clipped", self.wav, self.clipped)

    def discard(self) -> None:
        """Drop an empty session's file."""
        self.file.close()
        self.part.unlink(missing_ok=True)


LIVE = web.AppKey("live", LiveConfig)


def _page(name: str) -> bytes:
    """A file of the page, from the installed package."""
    return resources.files("babbler.live").joinpath("web", name).read_bytes()


async def page(request: web.Request) -> web.Response:
    """The page and its worklet."""
    name, kind = PAGE_FILES[request.path]
    return web.Response(body=_page(name), content_type=kind, headers={"Cache-Control": "no-store"})


def known_host(request: web.Request) -> bool:
    """The request is addressed (Host header) to a name this server was started for: a page whose own DNS name was
    rebound to this machine addresses it by that foreign name."""
    try:
        name = urlsplit(f"//{request.host}").hostname
    except ValueError:
        return False
    return name is not None and name.lower() in request.app[LIVE].hosts


def same_origin(request: web.Request) -> bool:
    """A browser's WebSocket carries its page's Origin: only the page this server served may connect."""
    origin = request.headers.get("Origin")
    return known_host(request) and (origin is None or origin in {f"http://{request.host}", f"https://{request.host}"})


@web.middleware
async def only_known_hosts(request: web.Request, handler):
    """Refuse (403) any request addressed to a host name the server was not started for."""
    if not known_host(request):
        return web.Response(status=403, text=f"babbler live: host {request.host!r} is not this server's")
    return await handler(request)


async def refuse(ws: web.WebSocketResponse, message: str, code: int) -> web.WebSocketResponse:
    """Tell the page why, then close."""
    await ws.send_str(json.dumps({"type": "error", "message": message}))
    await ws.close(code=code, message=message[:120].encode())
    return ws


async def websocket(request: web.Request) -> web.StreamResponse:
    """One conversation: hello, then a hop in → the agent's next 20 ms and both speakers' VA out."""
    cfg = request.app[LIVE]
    if not same_origin(request):
        return web.Response(status=403, text=f"babbler live: origin {request.headers.get('Origin')} is not allowed")
    if len(cfg.active) >= cfg.max_sessions:
        return web.Response(status=503, text=f"babbler live: all {cfg.max_sessions} sessions are in use; try later")
    ws = web.WebSocketResponse(max_msg_size=MAX_MESSAGE, heartbeat=10.0)
    await ws.prepare(request)
    number = next(cfg.counter)
    cfg.active.add(number)
    talk = Conversation(keep_audio=False)
    recording = None
    loop = asyncio.get_running_loop()
    try:
        hello = await ws.receive(timeout=10.0)
        try:
            rate = json.loads(hello.data).get("sampleRate") if hello.type == WSMsgType.TEXT else None
        except (ValueError, AttributeError):
            rate = None
        if rate != STREAM_RATE:
            return await refuse(ws, f"the stream must be {STREAM_RATE} Hz mono float32 in hops of {HOP} samples; "
                                    f"the hello said sampleRate {rate}", 1003)
        session = LiveSession.create(cfg.model, seed=cfg.seed + number, temperature=cfg.temperature,
                                     agent_f0=cfg.agent_f0, markov=cfg.markov, markov_weight=cfg.markov_weight,
                                     stop=cfg.stop, voice=cfg.voice, odds=cfg.odds, calibration=cfg.calibration)
        if cfg.record is not None:
            recording = Recording(cfg.record, number)
        log.info("session %d: started", number)
        started = loop.time()
        async for msg in ws:
            if msg.type != WSMsgType.BINARY:
                if msg.type == WSMsgType.ERROR:
                    break
                continue
            if len(msg.data) != 4 * HOP:
                return await refuse(ws, f"a hop is {HOP} float32 samples ({4 * HOP} bytes), got {len(msg.data)}",
                                    1003)
            hop = np.frombuffer(msg.data, dtype="<f4").astype(np.float64)
            if not np.isfinite(hop).all():
                return await refuse(ws, "the hop holds NaN or infinite samples", 1003)
            ahead = (len(talk.heard) + 1) * HOP / STREAM_RATE - (loop.time() - started)
            if ahead > cfg.max_ahead:  # faster than real time: answer at the pace of a conversation
                await asyncio.sleep(ahead - cfg.max_ahead)
            try:
                audio, heard, own = session.hop(hop)
            except Exception:
                log.exception("session %d: the agent failed at hop %d", number, len(talk.heard))
                return await refuse(ws, "the agent failed on this hop (see the server's log); the session ends", 1011)
            await ws.send_bytes(audio.astype("<f4").tobytes())
            await ws.send_str(json.dumps({"type": "frame", "hop": len(talk.heard), "partner": int(heard > 0),
                                          "agent": int(own > 0)}))
            talk.add(hop, heard, audio, own)
            if recording is not None:
                recording.add(hop, audio)
    except asyncio.TimeoutError:
        await refuse(ws, "no hello within 10 s", 1002)
    except ConnectionResetError:
        pass
    finally:
        cfg.active.discard(number)
        log.info("session %d: ended after %d hops", number, len(talk.heard))
        if recording is not None and talk.heard:
            recording.finish(talk)
            log.info("session %d: recorded as %s and %s", number, recording.wav, recording.va)
        elif recording is not None:
            recording.discard()
    return ws


def make_app(cfg: LiveConfig) -> web.Application:
    """The web application: the page, its worklet, the WebSocket."""
    app = web.Application(client_max_size=MAX_MESSAGE, middlewares=[only_known_hosts])
    app[LIVE] = cfg
    for path in PAGE_FILES:
        app.router.add_get(path, page)
    app.router.add_get("/ws", websocket)
    return app


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to host:port and listening; BabblerError saying why not (a port in use, an unknown host)."""
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        raise BabblerError(f"--host {host}: not an address of this machine ({exc})") from exc
    family, _, _, _, address = infos[0]
    try:
        return socket.create_server(address, family=family, backlog=128)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise BabblerError(f"port {port} on {host} is already in use (another babbler live, or another "
                               f"program): choose another with --port, or --port 0 for any free one") from exc
        raise BabblerError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from exc


def serve(cfg: LiveConfig, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Run the server until interrupted, on the address it says it listens on."""
    sock = listening_socket(host, port)
    cfg.hosts = allowed_hosts(host)
    bound = sock.getsockname()[1]
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else (f"[{host}]" if ":" in host else host)
    print(f"babbler live: open http://{shown}:{bound}/ (Ctrl-C to stop)", flush=True)
    web.run_app(make_app(cfg), sock=sock, print=None)
