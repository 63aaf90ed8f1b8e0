"""The render server: one warm Chromium per instance folder, drawing one chart at a time.

`exports.renderer` starts it as `python -m exports.render_service FOLDER` when no server answers;
callers never import this module. It listens on FOLDER/render.sock (a Unix socket: only this
user can connect, and each side proves it knows FOLDER/authkey before anything is unpickled), and
queues every request for the one thread that talks to Kaleido, so requests are serialised by
construction: Kaleido's sync server gives a concurrent caller another caller's image (Kaleido
#444).

The Chromium itself, with a deadline on every render and a restart when it dies or hangs, is
`exports.warm_browser.WarmBrowser`; this module is the socket, the queue and the process around it.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import fcntl
import hashlib
import json
import logging
import math
import os
import queue
import signal
import sys
import threading
import time
from multiprocessing import AuthenticationError
from multiprocessing.connection import Connection, Listener
from pathlib import Path

from exports.renderer import (
    FORMATS,
    MAX_PIXELS,
    BrowserMissing,
    RenderError,
    RenderPaths,
    ServerOptions,
    ensure_folder,
    paths_for,
)
from exports.warm_browser import WarmBrowser

log = logging.getLogger("pulseboard.render_service")
READ_TIMEOUT = 10.0  # a caller sends its request as soon as it connects
LOCK_TIMEOUT = 30.0  # a previous server may still be closing its Chromium
SOCKET_CHECK_SECONDS = 10.0


@dataclasses.dataclass
class Request:
    connection: Connection
    message: dict
    received: float  # time.monotonic() when it arrived


class RenderServer:
    """Accepts connections on one thread and answers them, one at a time, on the main thread."""

    def __init__(self, paths: RenderPaths, idle_seconds: float, render_timeout: float) -> None:
        self.paths = paths
        self.idle_seconds = idle_seconds
        self.render_timeout = render_timeout
        self.browser = WarmBrowser()
        self.requests: queue.Queue[Request] = queue.Queue()
        self.stopping = threading.Event()
        self.renders = 0
        self.listener: Listener | None = None
        self.started_at = dt.datetime.now(dt.UTC)

    def run(self, report) -> int:
        """Listen, start Chromium, say `ready` (or why not) on `report`, then serve until stopped
        or idle. Returns the exit status."""
        self.paths.socket.unlink(missing_ok=True)  # a dead server's; we hold the server lock
        self.listener = Listener(str(self.paths.socket), family="AF_UNIX", backlog=64,
                                 authkey=ensure_folder(self.paths))
        os.chmod(self.paths.socket, 0o600)
        # Listen before Chromium is up, so callers arriving meanwhile queue instead of starting.
        threading.Thread(target=self._accept, args=(self.listener,), name="accept", daemon=True).start()
        stop_requests: list[Request] = []
        try:
            try:
                self.browser.start()
            except RenderError as error:
                log.error("%s", error)
                self._refuse_queued(error)  # first, so that the starter finds no socket after this
                _report(report, {"error": str(error), "kind": _kind(error)})
                return 1
            log.info("render server %s started for %s (Chromium %s)", os.getpid(), self.paths.folder,
                     self.browser.pid)
            _report(report, {"ready": True, "pid": os.getpid()})
            self._serve(stop_requests)
        finally:
            self._shutdown(stop_requests)
        return 0

    def _accept(self, listener: Listener) -> None:
        while not self.stopping.is_set():
            try:
                connection = listener.accept()
            except (AuthenticationError, EOFError, ConnectionError) as error:
                log.warning("refused a connection: %r", error)
                continue
            except OSError:
                if self.stopping.is_set():
                    return  # the listener was closed
                log.exception("cannot accept connections; trying again in a second")
                time.sleep(1)
                continue
            if self.stopping.is_set():
                connection.close()  # the caller reconnects and starts the next server
                return
            try:
                if not connection.poll(READ_TIMEOUT):
                    raise TimeoutError("no request")
                message = connection.recv()
                if not isinstance(message, dict):
                    raise TypeError(f"a request is a dict, not {type(message).__name__}")
            except Exception as error:  # a caller that left or sent garbage: drop it
                log.warning("dropped a connection: %r", error)
                connection.close()
                continue
            self.requests.put(Request(connection, message, time.monotonic()))

    def _serve(self, stop_requests: list[Request]) -> None:
        idle_seconds = self.idle_seconds or math.inf  # 0: never stop when idle
        last_request = time.monotonic()
        while True:
            idle_left = last_request + idle_seconds - time.monotonic()
            if idle_left <= 0:
                log.info("idle for %g s: stopping", self.idle_seconds)
                return
            try:
                request = self.requests.get(timeout=min(idle_left, SOCKET_CHECK_SECONDS))
            except queue.Empty:
                if not self.paths.socket.exists():  # the folder was deleted: no one can reach us
                    log.info("%s is gone: stopping", self.paths.socket)
                    return
                continue
            if request.message.get("op") == "stop":
                stop_requests.append(request)
                return
            self._answer(request)
            last_request = time.monotonic()

    def _shutdown(self, stop_requests: list[Request]) -> None:
        """Stop listening, serve what is already queued, close Chromium, then confirm the stops."""
        try:
            self._stop_listening()
            while True:
                try:
                    request = self.requests.get_nowait()
                except queue.Empty:
                    break
                if request.message.get("op") == "stop":
                    stop_requests.append(request)
                elif self.browser.alive():
                    self._answer(request)
                else:
                    request.connection.close()  # the caller reconnects and starts a new server
        finally:
            self.browser.shutdown()  # whatever happened above, Chromium must not outlive us
        log.info("render server %s stopped", os.getpid())
        for request in stop_requests:
            _send(request.connection, {"ok": True, "stopped": os.getpid()})

    def _stop_listening(self) -> None:
        """Remove the socket (under the server lock: a successor cannot have bound it yet)."""
        self.stopping.set()
        if self.listener is not None:
            listener, self.listener = self.listener, None
            with contextlib.suppress(FileNotFoundError):  # someone deleted the folder
                listener.close()

    def _refuse_queued(self, error: RenderError) -> None:
        self._stop_listening()
        while True:
            try:
                request = self.requests.get_nowait()
            except queue.Empty:
                return
            _send(request.connection, {"ok": False, "kind": _kind(error), "error": str(error)})

    def _answer(self, request: Request) -> None:
        try:
            reply = self._reply(request)
        except RenderError as error:
            reply = {"ok": False, "kind": _kind(error), "error": str(error)}
        except Exception as error:  # a malformed request must not stop the server
            log.exception("a request failed")
            reply = {"ok": False, "kind": "failed", "error": f"The render server failed: {error!r}"}
        if reply is None:
            request.connection.close()
        else:
            _send(request.connection, reply)

    def _reply(self, request: Request) -> dict | None:
        message = request.message
        op = message.get("op")
        if op == "status":
            return self.status()
        if op != "render":
            raise RenderError(f"The render server does not know the request {op!r}.")
        if request.connection.poll(0):
            return None  # the caller closed its end: it stopped waiting
        waited = time.monotonic() - request.received
        timeout = min(self.render_timeout, float(message.get("timeout", math.inf)) - waited)
        if timeout <= 0:
            raise RenderError("The chart waited too long for its turn.")
        figure_json = message["figure"]
        figure = json.loads(figure_json)
        figure.setdefault("data", [])
        image = self.browser.render(figure, _layout_opts(message), timeout)
        self.renders += 1
        return {"ok": True, "image": image,
                "figure_sha256": hashlib.sha256(figure_json.encode()).hexdigest()}

    def status(self) -> dict:
        return {"ok": True, "pid": os.getpid(), "browser_pid": self.browser.pid,
                "renders": self.renders, "restarts": self.browser.restarts,
                "queued": self.requests.qsize(), "started_at": self.started_at.isoformat(),
                "idle_seconds": self.idle_seconds, "render_timeout": self.render_timeout}


def _layout_opts(message: dict) -> dict:
    """Kaleido's layout options from a request, checked again here: callers are not trusted to."""
    fmt, scale = message.get("format"), message.get("scale", 1)
    if fmt not in FORMATS or not isinstance(scale, int | float) or not 0 < scale <= 10:
        raise RenderError(f"Unsupported image format or scale: {fmt!r}, {scale!r}.")
    opts = {"format": fmt, "scale": scale}
    for name in ("width", "height"):
        size = message.get(name)
        if size is not None:
            if not isinstance(size, int | float) or not 10 <= size * scale <= MAX_PIXELS:
                raise RenderError(f"Unsupported image {name}: {size!r}.")
            opts[name] = size
    return opts


def _kind(error: RenderError) -> str:
    return "no_browser" if isinstance(error, BrowserMissing) else "failed"


def _send(connection: Connection, reply: dict) -> None:
    try:
        connection.send(reply)
    except (BrokenPipeError, ConnectionError, EOFError):
        log.info("a caller left before its answer")
    finally:
        connection.close()


def _report(stream, message: dict) -> None:
    """Tell the caller that started us how the start went, then let go of its pipe."""
    with contextlib.suppress(BrokenPipeError):  # the starter connected already, or gave up
        stream.write(json.dumps(message) + "\n")
        stream.flush()
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), stream.fileno())


def _detach() -> None:
    """Fork once and let the parent exit, so the server is nobody's child (no zombie, and the
    starter waits for nothing). Safe here: a fresh interpreter with no thread and no Chromium."""
    assert threading.active_count() == 1, "fork only before any thread starts"
    if os.fork() > 0:
        os._exit(0)


def _take_server_lock(paths: RenderPaths) -> bool:
    """Hold FOLDER/server.lock for the server's life: one server per folder, even if two start.

    Returns False if another server holds it and listens (this one is not needed). Waits while the
    holder has no socket: it is closing down, or has only just started.
    """
    fd = os.open(paths.server_lock, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + LOCK_TIMEOUT
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if paths.socket.exists() or time.monotonic() > deadline:
                os.close(fd)
                return False
            time.sleep(0.05)
            continue
        # Never released by hand: the kernel frees it when the process is gone, which is what
        # `stop_server` waits for.
        return True


def _terminate(signum, frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise SystemExit(0)  # unwinds into the shutdown, which closes Chromium


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="the renderer folder (socket, key, locks, log)")
    parser.add_argument("--idle-seconds", type=float, default=ServerOptions.idle_seconds,
                        help="stop after this long without a request (0: never)")
    parser.add_argument("--render-timeout", type=float, default=ServerOptions.render_timeout,
                        help="restart Chromium when one chart takes longer")
    parser.add_argument("--foreground", action="store_true",
                        help="stay attached, e.g. as a systemd service (stdout is closed once ready)")
    args = parser.parse_args(argv)
    if not args.foreground:
        _detach()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
    log.setLevel(logging.INFO)
    signal.signal(signal.SIGTERM, _terminate)
    paths = paths_for(args.folder)
    ensure_folder(paths)
    if not _take_server_lock(paths):
        _report(sys.stdout, {"error": f"Another render server runs for {paths.folder}.", "kind": "failed"})
        return 1
    return RenderServer(paths, args.idle_seconds, args.render_timeout).run(sys.stdout)


if __name__ == "__main__":
    exit_status = 1
    try:
        exit_status = main()
    except SystemExit as stop:  # --help, or SIGTERM
        exit_status = stop.code if isinstance(stop.code, int) else 0
    except BaseException:
        log.exception("the render server failed")
    finally:
        # Chromium is closed by now. Exit at once rather than wait for a thread a library may
        # have left behind: the server lock must be released for the next server.
        logging.shutdown()
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
        os._exit(exit_status)
