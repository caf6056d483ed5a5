"""`babbler live`: a small local web app where a person talks with a trained agent through the browser.

One page (`babbler/web/`) captures the microphone with an AudioWorklet at 16 kHz, streams 20 ms hops (320 float32
samples, binary WebSocket messages) and plays the agent's audio as it comes back. For every hop the server runs the
live loop of `babbler.respond.LiveSession` (front end, Agent.step, streaming voice) and answers with the agent's next
20 ms (binary) and a JSON frame `{"type": "frame", "hop": i, "partner": 0|1, "agent": 0|1}` for the page's timeline.

The protocol opens with a JSON hello, `{"type": "hello", "sampleRate": 16000}`; any other rate is refused. The server
binds 127.0.0.1 unless told otherwise, refuses a WebSocket whose Origin is not the page's own, caps a message at
`MAX_MESSAGE` bytes and the number of sessions at `max_sessions` (HTTP 503 past it), and frees a session when its
page goes away. With `record`, each finished session's audio (partner, agent) and VA are written there.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
from aiohttp import WSMsgType, web

from babbler.frontend import HOP, STREAM_RATE
from babbler.models.baselines import MarkovModel
from babbler.models.transformer import FrameTransformer
from babbler.respond import Conversation, LiveSession

log = logging.getLogger(__name__)
MAX_MESSAGE = 4096  # bytes: a hop is 1280, the hello far less
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
    start_cue: float = 0.0  # the agent's starts while the partner talks follow its partner head (sample.start_cue)
    active: set = field(default_factory=set)
    counter: itertools.count = field(default_factory=itertools.count)


LIVE = web.AppKey("live", LiveConfig)


def _page(name: str) -> bytes:
    """A file of the page, from the installed package."""
    return resources.files("babbler").joinpath("web", name).read_bytes()


async def page(request: web.Request) -> web.Response:
    """The page and its worklet."""
    name, kind = PAGE_FILES[request.path]
    return web.Response(body=_page(name), content_type=kind, headers={"Cache-Control": "no-store"})


def same_origin(request: web.Request) -> bool:
    """A browser's WebSocket carries its page's Origin: only the page this server served may connect."""
    origin = request.headers.get("Origin")
    return origin is None or origin in {f"http://{request.host}", f"https://{request.host}"}


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
    talk = Conversation()
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
                                     start_cue=cfg.start_cue)
        log.info("session %d: started", number)
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
            audio, heard, own = session.hop(hop)
            await ws.send_bytes(audio.astype("<f4").tobytes())
            await ws.send_str(json.dumps({"type": "frame", "hop": len(talk.heard), "partner": int(heard > 0),
                                          "agent": int(own > 0)}))
            talk.add(hop, heard, audio, own)
    except asyncio.TimeoutError:
        await refuse(ws, "no hello within 10 s", 1002)
    except ConnectionResetError:
        pass
    finally:
        cfg.active.discard(number)
        log.info("session %d: ended after %d hops", number, len(talk.heard))
        if cfg.record is not None and talk.heard:
            stem = cfg.record / f"session-{number:03d}"
            talk.write(stem.with_suffix(".wav"), stem.with_suffix(".va.csv"))
    return ws


def make_app(cfg: LiveConfig) -> web.Application:
    """The web application: the page, its worklet, the WebSocket."""
    app = web.Application(client_max_size=MAX_MESSAGE)
    app[LIVE] = cfg
    for path in PAGE_FILES:
        app.router.add_get(path, page)
    app.router.add_get("/ws", websocket)
    return app


def serve(cfg: LiveConfig, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Run the server until interrupted."""
    print(f"babbler live: open http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
    web.run_app(make_app(cfg), host=host, port=port, print=None)
