"""Chart images (PNG, SVG, PDF) from one warm Chromium per host, for any thread or process.

Kaleido draws with Chromium. A cold `fig.to_image` starts Chromium every time (about 2 s, up to
6.8 s); a warm one draws a chart in about 0.2 s but holds about 0.8 GB, must be called by one
caller at a time (Kaleido #444) and hangs in a child that forks after starting it. So no app
process holds Chromium: one render server process per instance folder does
(`exports.render_service`), and every web worker, background job and Celery worker on the host
asks it over a Unix socket in that folder. The first caller that finds no server starts one
under a file lock, so callers starting at once start exactly one.

Each call opens its own connection, so `render` is safe from any number of threads and in a
forked child: there is no connection or lock to inherit.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import secrets
import select
import subprocess
import sys
import time
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Connection
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import plotly.io as pio

from settings import ROOT, Settings, create_once

if TYPE_CHECKING:
    import plotly.graph_objects as go

ImageFormat = Literal["png", "svg", "pdf"]
FORMATS: tuple[str, ...] = ("png", "svg", "pdf")
PNG_SCALE = 2  # device pixels per CSS pixel of PNG charts: sharp on screens and in print
TIMEOUT_SECONDS = 120.0  # a caller's whole wait: starting the server, queueing, drawing
MAX_PIXELS = 10_000  # per side, after scaling: enough for print, small enough for Chromium
INSTALL_HINT = ("Install it with your package manager (Debian/Ubuntu: sudo apt-get install chromium, "
                "or `make chromium`), or run .venv/bin/plotly_get_chrome to download one for Kaleido, "
                "then set BROWSER_PATH to it.")
# What a caller sees as "no server here": no key or socket yet, a dead server's socket, or a server
# that closed the listening socket while this caller was connecting.
_NO_SERVER = (FileNotFoundError, ConnectionRefusedError, ConnectionResetError, EOFError)
_SOCKET_PATH_LIMIT = 107  # bytes in sockaddr_un.sun_path, less the final NUL (Linux)


class RenderError(RuntimeError):
    """A chart image could not be rendered; the message says why, for the user or the log."""


class BrowserMissing(RenderError):
    """No usable Chromium on this host; the message says how to install one."""


@dataclasses.dataclass(frozen=True)
class ServerOptions:
    """How a render server that a caller starts behaves (a running server keeps its own)."""

    idle_seconds: float = 30 * 60  # exit after this long without a request, freeing ~0.8 GB
    render_timeout: float = 60.0  # restart Chromium when one chart takes longer


@dataclasses.dataclass(frozen=True)
class RenderPaths:
    """The files of one render server, all inside one folder that only this user can read."""

    folder: Path

    @property
    def socket(self) -> Path:
        return self.folder / "render.sock"

    @property
    def authkey(self) -> Path:
        return self.folder / "authkey"

    @property
    def start_lock(self) -> Path:  # held by a caller while it starts a server
        return self.folder / "start.lock"

    @property
    def server_lock(self) -> Path:  # held by the server for its whole life
        return self.folder / "server.lock"

    @property
    def log(self) -> Path:
        return self.folder / "server.log"


def default_folder() -> Path:
    """The renderer folder of the app or background job running here (by default inside its
    instance folder), or of the environment's settings outside both (a CLI, a script)."""
    from context import settings  # imported late: exports must not need an app to import

    try:
        return Path(settings().renderer_path)
    except RuntimeError:
        return Path(Settings.load().renderer_path)


def paths_for(folder: Path | str | None) -> RenderPaths:
    """The render server files in `folder` (default: `default_folder()`).

    Raises `RenderError` when the socket path is too long for a Unix socket.
    """
    paths = RenderPaths(Path(folder).resolve() if folder is not None else default_folder().resolve())
    if len(os.fsencode(paths.socket)) > _SOCKET_PATH_LIMIT:
        raise RenderError(f"The renderer socket path {paths.socket} is longer than a Unix socket allows "
                          f"({_SOCKET_PATH_LIMIT} bytes): use a shorter PULSEBOARD_INSTANCE folder.")
    return paths


def render(figure: go.Figure | dict, fmt: ImageFormat = "png", width: int | None = None,
           height: int | None = None, scale: float = 1.0, *, folder: Path | str | None = None,
           timeout: float = TIMEOUT_SECONDS) -> bytes:
    """Return `figure` drawn as PNG, SVG or PDF bytes, `width` x `height` CSS pixels (default: the
    figure's layout size, else 700 x 500) times `scale`.

    Starts the host's render server when none answers. Raises `BrowserMissing` when there is no
    usable Chromium, `RenderError` when the chart cannot be drawn within `timeout` seconds, and
    `ValueError` for a format or size out of range.
    """
    _check_size(fmt, width, height, scale)
    figure_json = pio.to_json(figure, validate=False, remove_uids=False)  # never touches `figure`
    deadline = time.monotonic() + timeout
    paths = paths_for(folder)
    request = {"op": "render", "figure": figure_json, "format": fmt, "width": width,
               "height": height, "scale": scale}
    reply = _exchange(paths, request, deadline, ServerOptions())
    if reply.get("figure_sha256") != hashlib.sha256(figure_json.encode()).hexdigest():
        # The server echoes a digest of the figure it drew: never hand back someone else's chart.
        raise RenderError("The render server answered with an image of a different figure.")
    return reply["image"]


def warm_up(folder: Path | str | None = None, *, options: ServerOptions | None = None,
            timeout: float = TIMEOUT_SECONDS) -> dict:
    """Start this host's render server unless one is running; return its status (see
    `server_status`). Raises `BrowserMissing` or `RenderError` when it cannot start."""
    return _exchange(paths_for(folder), {"op": "status"}, time.monotonic() + timeout,
                     options or ServerOptions())


def start(folder: Path | str | None = None, *, timeout: float = 30.0) -> None:
    """Start this host's render server unless one is running, and return as soon as it listens,
    while its Chromium warms up in the background (for a web server's start-up hook: no thread
    is left behind, and nothing waits for Chromium). Raises `RenderError` when it cannot start."""
    connection = _open(paths_for(folder), time.monotonic() + timeout, ServerOptions())
    if connection is not None:
        connection.close()


def server_status(folder: Path | str | None = None, *, timeout: float = 30.0) -> dict | None:
    """The running server's pid, Chromium's pid, renders and restarts so far; None if no server
    runs. Waits behind the renders queued before it."""
    return _exchange(paths_for(folder), {"op": "status"}, time.monotonic() + timeout, None)


def stop_server(folder: Path | str | None = None, *, timeout: float = 60.0) -> bool:
    """Stop the render server of `folder` and wait until it and its Chromium have exited.
    Returns False when none was running. The requests queued before the stop are still served."""
    paths = paths_for(folder)
    deadline = time.monotonic() + timeout
    if _exchange(paths, {"op": "stop"}, deadline, None) is None:
        return False
    # The server answers once Chromium is gone; its lock is free once the process has exited.
    while not _lock_is_free(paths.server_lock):
        if time.monotonic() > deadline:
            raise RenderError(f"The render server of {paths.folder} did not exit within {timeout:g} s.")
        time.sleep(0.02)
    return True


def _check_size(fmt: str, width: int | None, height: int | None, scale: float) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if not 0 < scale <= 10:
        raise ValueError(f"scale must be above 0 and at most 10, not {scale!r}")
    for name, size in (("width", width), ("height", height)):
        if size is not None and not 10 <= size * scale <= MAX_PIXELS:
            raise ValueError(f"{name} x scale must be 10 to {MAX_PIXELS} pixels, not {size * scale:g}")


def _exchange(paths: RenderPaths, request: dict, deadline: float,
              options: ServerOptions | None) -> dict | None:
    """Send `request` and return the server's reply; start a server first if `options` is given,
    else return None when none runs. Reconnects once if the server drops the connection (it
    was stopping or restarting)."""
    dropped: Exception | None = None
    for _attempt in range(2):
        connection = _open(paths, deadline, options)
        if connection is None:
            return None
        try:
            with connection:
                connection.send({**request, "timeout": _remaining(deadline)})
                if not connection.poll(_remaining(deadline)):
                    raise RenderError("The render server did not answer in time; "
                                      f"its log is {paths.log}.")
                reply = connection.recv()
        except (EOFError, ConnectionError) as error:
            dropped = error
            continue
        if not reply.get("ok"):
            error_class = BrowserMissing if reply.get("kind") == "no_browser" else RenderError
            raise error_class(reply.get("error") or "The render server could not draw the chart.")
        return reply
    raise RenderError(f"The render server closed the connection twice; its log is {paths.log}.") from dropped


def _open(paths: RenderPaths, deadline: float, options: ServerOptions | None) -> Connection | None:
    """A connection to the running server, starting one first if `options` is given."""
    try:
        return _connect(paths)
    except _NO_SERVER:
        if options is None:
            return None
    ensure_folder(paths)
    with _locked(paths.start_lock):
        try:
            # Another caller may have started it while this one waited for the lock.
            return _connect(paths)
        except _NO_SERVER:
            return _start_server(paths, deadline, options)


def _connect(paths: RenderPaths) -> Connection:
    authkey = paths.authkey.read_bytes()
    try:
        return Client(str(paths.socket), family="AF_UNIX", authkey=authkey)
    except AuthenticationError as error:
        raise RenderError(f"The render server in {paths.folder} refused this process's key; "
                          "stop it (or delete the folder) and try again.") from error


def _start_server(paths: RenderPaths, deadline: float, options: ServerOptions) -> Connection:
    """Start a render server and return a connection to it as soon as it listens.

    The server is spawned, never forked from this (threaded, maybe Chromium-holding) process. It
    forks once more itself, so it is nobody's child: no zombie, and no Popen left running here.
    """
    if paths.log.exists() and paths.log.stat().st_size > 1_000_000:
        paths.log.unlink()
    command = [sys.executable, "-m", "exports.render_service", str(paths.folder),
               "--idle-seconds", str(options.idle_seconds),
               "--render-timeout", str(options.render_timeout)]
    with open(os.open(paths.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "ab") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.DEVNULL,  # noqa: S603
                                   stdout=subprocess.PIPE, stderr=log, start_new_session=True)
    try:
        with process.stdout:
            return _await_server(paths, process.stdout.fileno(), deadline)
    finally:
        try:
            process.wait(timeout=10)  # the launcher exits as soon as it has forked the server
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _await_server(paths: RenderPaths, report: int, deadline: float) -> Connection:
    """A connection as soon as a server listens (it queues requests while Chromium starts); or
    the error the new server reports on the `report` pipe if it cannot start. Any server will
    do: one started by hand may have won the race for the folder."""
    output, ended = b"", False
    # poll(), not select(): a busy process (a web worker, a test session) may have file
    # descriptors past select's limit of 1024, and select() then refuses them (seen).
    waiting = select.poll()
    waiting.register(report, select.POLLIN)
    while not ended:
        with contextlib.suppress(*_NO_SERVER):
            return _connect(paths)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise RenderError("The render server did not start in time (Chromium is slow to start, "
                              f"or hangs); its log is {paths.log}.")
        if waiting.poll(min(remaining, 0.05) * 1000):
            chunk = os.read(report, 4096)
            output += chunk
            ended = not chunk or b"\n" in output
    with contextlib.suppress(*_NO_SERVER):
        return _connect(paths)
    line = output.split(b"\n", 1)[0]
    if not line:
        raise RenderError(f"The render server exited while starting:\n{_log_tail(paths)}")
    started = json.loads(line)
    if "error" in started:
        error_class = BrowserMissing if started.get("kind") == "no_browser" else RenderError
        raise error_class(started["error"])
    raise RenderError(f"The render server started but refuses connections; its log is {paths.log}.")


def ensure_folder(paths: RenderPaths) -> bytes:
    """Create the renderer folder (this user only) and the key that server and callers prove to
    each other; return the key. Safe when several processes do it at once: one key wins."""
    paths.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return create_once(paths.authkey, secrets.token_bytes(32))


@contextlib.contextmanager
def _locked(path: Path):
    """Hold an exclusive lock on `path`; every thread and process opens its own, so they exclude
    each other, and the kernel frees it if the holder dies."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _lock_is_free(path: Path) -> bool:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def _remaining(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


def _log_tail(paths: RenderPaths, lines: int = 8) -> str:
    try:
        return "\n".join(paths.log.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"
