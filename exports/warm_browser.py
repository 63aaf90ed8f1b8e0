"""The render server's Chromium: one warm Kaleido on an event loop of its own, and the page it
draws on. Only `exports.render_service` imports this (it pulls in Kaleido and choreographer,
which web workers never need); kept apart from the server's socket and queue handling.

Kaleido runs on an event loop of ours rather than through `kaleido.start_sync_server()`: that
server's calls wait without a timeout (a hung render blocks it forever, Kaleido #441), it cannot
tell that Chromium died, and it cannot be restarted while a call hangs. Here every render has a
deadline; after a timeout Chromium is restarted, and if Chromium died the render is retried
once on a fresh one. The page Chromium draws on loads plotly.js from the installed plotly
package, no MathJax, and refuses every network request, so nothing waits on a CDN (Kaleido #399).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import signal
import subprocess
import threading
from pathlib import Path

import plotly
from choreographer.errors import (
    BrowserClosedError,
    BrowserFailedError,
    ChannelClosedError,
    ChromeNotFoundError,
)
from kaleido import Kaleido, PageGenerator

from exports.renderer import INSTALL_HINT, BrowserMissing, RenderError

# The server's logger, so that the server's log reads as one, whichever module wrote a line.
log = logging.getLogger("pulseboard.render_service")
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
# Scripts only from local files (plotly.js and Kaleido's own), images and fonts only inline, and
# no fetch at all: a remote image or topojson in a figure is refused at once instead of stalling.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src file:; style-src 'unsafe-inline'; "
                           "img-src data: blob:; font-src data:")
START_TIMEOUT = 60.0  # a cold Chromium took up to 6.8 s here; leave room for a loaded host
CLOSE_TIMEOUT = 10.0
_BROWSER_GONE = (BrowserClosedError, BrowserFailedError, ChannelClosedError)


RELOAD_EVERY = 50  # renders between page reloads (Kaleido reloads after every one)


class WarmKaleido(Kaleido):
    """Kaleido that keeps its page between renders.

    Kaleido reloads the tab after every render, which re-parses plotly.js (4.8 MB): that reload
    was about 170 of the 200-290 ms a warm render took here, while `Plotly.toImage` itself takes
    23-58 ms in the same Chromium. `toImage` draws into a detached div it purges, so the page
    has nothing to clean after a chart; it is reloaded every `RELOAD_EVERY` renders anyway, so
    whatever plotly.js keeps between plots never grows without bound.
    """

    _renders_since_reload = 0

    async def _return_kaleido_tab(self, tab) -> None:
        self._renders_since_reload += 1
        if self._renders_since_reload >= RELOAD_EVERY:
            self._renders_since_reload = 0
            await tab.reload()
        await self.tabs_ready.put(tab)


class OfflinePage(PageGenerator):
    """Kaleido's page, with the installed plotly.js, no MathJax and a policy refusing the network.

    Without MathJax a LaTeX title such as `$x^2$` is printed as written.
    """

    header = f"""
<!DOCTYPE html>
<html>
    <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">
        <style id="head-style"></style>
        <title>Kaleido-fier</title>
"""

    def __init__(self) -> None:
        super().__init__(plotly=PLOTLY_JS.as_uri(), mathjax=False)


class _BrowserGone(Exception):
    """Chromium died during a render."""


class WarmBrowser:
    """One Kaleido (one Chromium, one tab: more tabs are slower on 2 cores) on an event loop in
    its own thread, with a deadline on every call and a restart when Chromium dies or hangs."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kaleido", daemon=True)
        self._thread.start()
        self._kaleido: Kaleido | None = None
        self.restarts = 0

    @property
    def pid(self) -> int | None:
        """The pid of Chromium's launcher, which leads Chromium's process group."""
        process = getattr(self._kaleido, "subprocess", None)
        return process.pid if process is not None else None

    def alive(self) -> bool:
        process = getattr(self._kaleido, "subprocess", None)
        return process is not None and process.poll() is None

    def start(self) -> None:
        """Start Chromium and load the page. Raises `BrowserMissing` or `RenderError`."""
        future = asyncio.run_coroutine_threadsafe(self._open(), self._loop)
        try:
            future.result(START_TIMEOUT)
        except ChromeNotFoundError as error:
            self.close()
            where = f" at BROWSER_PATH={os.environ['BROWSER_PATH']}" if os.environ.get("BROWSER_PATH") else ""
            raise BrowserMissing(f"Chromium was not found{where}, so chart images cannot be drawn. "
                                 f"{INSTALL_HINT}") from error
        except BrowserFailedError as error:
            path = getattr(getattr(self._kaleido, "_browser_impl", None), "path", "Chromium")
            self.close()
            raise BrowserMissing(f"{path} exited as soon as it started, so chart images cannot be "
                                 f"drawn. {INSTALL_HINT}") from error
        except concurrent.futures.TimeoutError as error:
            future.cancel()
            self.close()
            raise RenderError(f"Chromium did not start within {START_TIMEOUT:g} s.") from error

    async def _open(self) -> None:
        self._kaleido = WarmKaleido(n=1, timeout=None, page_generator=OfflinePage())
        await self._kaleido.open()

    def render(self, figure: dict, opts: dict, timeout: float) -> bytes:
        """Draw `figure`; restart Chromium and retry once if it died. Raises `RenderError`."""
        if not self.alive():
            log.warning("Chromium is gone: starting a new one")
            self.restart()
        try:
            return self._draw(figure, opts, timeout)
        except _BrowserGone:
            log.warning("Chromium died while drawing: starting a new one and drawing again")
            self.restart()
        try:
            return self._draw(figure, opts, timeout)
        except _BrowserGone as error:
            raise RenderError("Chromium died twice while drawing this chart.") from error

    def _draw(self, figure: dict, opts: dict, timeout: float) -> bytes:
        future = asyncio.run_coroutine_threadsafe(self._kaleido.calc_fig(figure, opts=opts), self._loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError as error:
            future.cancel()
            log.warning("A render took longer than %.3g s: restarting Chromium", timeout)
            self.restart()
            raise RenderError(f"Drawing the chart took longer than {timeout:.3g} s.") from error
        except Exception as error:
            if isinstance(error, _BROWSER_GONE) or not self.alive():
                raise _BrowserGone from error
            raise RenderError(f"Chromium could not draw this chart: {error}") from error

    def restart(self) -> None:
        self.close()
        self.restarts += 1
        self.start()

    def close(self) -> None:
        """Close Chromium, and kill its whole process group so that no renderer outlives it."""
        kaleido, self._kaleido = self._kaleido, None
        if kaleido is None:
            return
        future = asyncio.run_coroutine_threadsafe(kaleido.close(), self._loop)
        try:
            future.result(CLOSE_TIMEOUT)
        except Exception as error:  # hung or half-open: the kill below still ends it
            future.cancel()
            log.warning("Chromium did not close cleanly (%r): killing it", error)
        process = getattr(kaleido, "subprocess", None)
        if process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # Chromium runs in a session of its own
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(CLOSE_TIMEOUT)

    def shutdown(self) -> None:
        self.close()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(CLOSE_TIMEOUT)
