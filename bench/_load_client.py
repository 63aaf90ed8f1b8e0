"""The client side of bench/load.py: a small asyncio HTTP/1.1 client, and a simulated browser that
signs in, opens the Overview and keeps it live the way dash-renderer does.

Requests are built from the server's own callback map (`/_dash-dependencies`) and the component
props the page was given (`/_dash-layout` and the page callback's answer), and each answer is
merged back into those props, as dash-renderer does. Which callbacks fire when the Overview opens,
and which of their inputs count as changed, was read once from Chromium 156 against Dash 4.4.1
(see OPEN_CALLBACKS). Static files are not fetched: a returning browser has them cached.

Nothing here connects anywhere but the host and port it is given (127.0.0.1, from bench/load.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import random
import re
import time
from urllib.parse import unquote, urlencode

MAX_CONNECTIONS = 6  # per browser and host, as Chromium allows over HTTP/1.1
IDLE_REUSE_S = 1.5  # gunicorn closes keep-alive connections idle for 2 s; never race it
REQUEST_TIMEOUT_S = 30.0  # the tick gate lets a new tick through after 30 s anyway
HEAVY_TIMEOUT_S = 120.0
TICK_GATE_S = 30.0  # callbacks/overview.py: a tick still unanswered after 30 s no longer holds the page
CONFIG = re.compile(rb'<script id="_dash-config" type="application/json">(.*?)</script>', re.S)
CSRF_FIELD = re.compile(rb'name="csrf_token" value="([^"]+)"')

# callback (named by its first output) -> the inputs dash-renderer reports as changed when the
# Overview opens; "all" means every input. Captured from the browser, not derived.
PAGE, LOAD, RATE, URL, HEAVY, TICK = ("_pages_content.children", "kv-revenue.children",
                                      "ov-interval.interval", "pb-url.search", "ov-forecast.figure",
                                      "ov-tick-data.data")
OPEN_CALLBACKS = {LOAD: (), RATE: (), URL: "all", HEAVY: ()}
CALLBACK_KINDS = ("cb:", "tick", "heavy:")


@dataclasses.dataclass(frozen=True)
class Sample:
    kind: str
    sent: float  # time.monotonic() when the request was started
    seconds: float
    status: int  # 0: no response
    error: str | None


class Recorder:
    """Every request's outcome, the requests still in flight, and the tick gate's decisions.

    `phase` names the part of the run now going on; each request carries it (with its kind) in
    an X-Bench-Run header, which gunicorn's access log records with the request's server time.
    """

    def __init__(self):
        self.samples: list[Sample] = []
        self.pending: dict[int, tuple[str, float]] = {}
        self.skipped: list[float] = []  # when the tick gate held a tick back (one still in flight)
        self.lags: list[tuple[float, float]] = []  # (when a tick was due, seconds late the client woke)
        self.fresh: list[float] = []  # when ticks were sent that brought new rows (ov-tick-data)
        self.phase = "start"
        self._ids = itertools.count()

    def begin(self, kind: str) -> int:
        key = next(self._ids)
        self.pending[key] = (kind, time.monotonic())
        return key

    def finish(self, key: int, status: int, error: str | None) -> None:
        kind, sent = self.pending.pop(key)
        self.samples.append(Sample(kind, sent, time.monotonic() - sent, status, error))

    def add(self, kind: str, sent: float, status: int, error: str | None) -> None:
        """An outcome measured elsewhere (a background job, from its start to its result)."""
        self.samples.append(Sample(kind, sent, time.monotonic() - sent, status, error))


@dataclasses.dataclass
class Response:
    status: int
    headers: dict[str, list[str]]
    body: bytes

    def json(self):
        return json.loads(self.body)


async def _read_response(reader: asyncio.StreamReader) -> tuple[Response, bool]:
    """One HTTP/1.1 response, and whether the connection may be reused."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionResetError("connection closed before a response")
    status = int(status_line.split()[1])
    headers: dict[str, list[str]] = {}
    while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    keep = "close" not in ",".join(headers.get("connection", [])).lower()
    if status in (204, 304) or 100 <= status < 200:
        return Response(status, headers, b""), keep
    if "chunked" in ",".join(headers.get("transfer-encoding", [])).lower():
        parts = []
        while size := int((await reader.readline()).split(b";")[0], 16):
            parts.append(await reader.readexactly(size + 2))
        while await reader.readline() not in (b"\r\n", b"\n", b""):
            pass  # trailers
        return Response(status, headers, b"".join(part[:-2] for part in parts)), keep
    if "content-length" in headers:
        return Response(status, headers, await reader.readexactly(int(headers["content-length"][0]))), keep
    return Response(status, headers, await reader.read()), False


class Browser:
    """One browser's cookies and keep-alive connections to one host (at most six at once)."""

    def __init__(self, host: str, port: int, recorder: Recorder):
        self.host, self.port, self.recorder = host, port, recorder
        self.cookies: dict[str, str] = {}
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
        self._slots = asyncio.Semaphore(MAX_CONNECTIONS)

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bool]:
        while self._idle:
            reader, writer, since = self._idle.pop()
            if not reader.at_eof() and time.monotonic() - since < IDLE_REUSE_S:
                return reader, writer, True
            writer.close()
        reader, writer = await asyncio.open_connection(self.host, self.port)
        return reader, writer, False

    async def request(self, kind: str, method: str, path: str, body: bytes = b"",
                      headers: dict[str, str] | None = None) -> Response | None:
        """Send one request and record it; the response, or None if there was none."""
        key = self.recorder.begin(kind)
        head = {"Host": f"{self.host}:{self.port}", "User-Agent": "pulseboard-bench-load",
                "X-Bench-Run": f"{self.recorder.phase}.{kind}", **(headers or {})}
        if self.cookies:
            head["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if body or method == "POST":
            head["Content-Length"] = str(len(body))
        raw = (f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in head.items())
               + "\r\n").encode("latin-1") + body
        try:
            async with self._slots:
                response = await asyncio.wait_for(self._exchange(raw), REQUEST_TIMEOUT_S)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as error:
            self.recorder.finish(key, 0, f"{type(error).__name__}: {error}"[:200])
            return None
        except BaseException:
            self.recorder.pending.pop(key, None)  # cancelled: the run is ending, or a refresh replaced it
            raise
        for value in response.headers.get("set-cookie", []):
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";")[0]
        self.recorder.finish(key, response.status, problem(kind, response))
        return response

    async def _exchange(self, raw: bytes) -> Response:
        for attempt in (1, 2):  # a reused connection the server just closed is retried once, as browsers do
            reader, writer, reused = await self._connection()
            try:
                writer.write(raw)
                await writer.drain()
                response, keep = await _read_response(reader)
            except (ConnectionError, asyncio.IncompleteReadError):
                writer.close()
                if reused and attempt == 1:
                    continue
                raise
            except BaseException:
                writer.close()
                raise
            if keep:
                self._idle.append((reader, writer, time.monotonic()))
            else:
                writer.close()
            return response
        raise AssertionError("unreachable")

    def close(self) -> None:
        for _, writer, _ in self._idle:
            writer.close()
        self._idle.clear()


def problem(kind: str, response: Response) -> str | None:
    """Why a response counts as an error: a status other than 200 (and 204, Dash's "no update",
    and the sign-in's redirect), a body that is not Dash's JSON, or the app's own stale badge."""
    callback = kind.startswith(CALLBACK_KINDS)
    expected = (302,) if kind == "login" else (200, 204) if callback else (200,)
    if response.status not in expected:
        return f"HTTP {response.status}: {response.body[:120]!r}"
    if response.status != 200 or not callback:
        return None
    try:
        data = response.json()
    except ValueError:
        return f"not JSON: {response.body[:120]!r}"
    if "response" not in data and "cacheKey" not in data and not kind.startswith("heavy"):
        return f"no Dash response: {response.body[:120]!r}"
    answer = data.get("response") or {}
    if (answer.get("ov-stale") or {}).get("children"):
        return "the app showed its stale badge (a callback failed)"
    if isinstance((answer.get("ov-heavy-status") or {}).get("children"), dict):
        return "the heavy panels failed (stale badge)"
    return None


def component_props(tree, into: dict) -> dict:
    """Every (component id, prop) -> value in a Dash layout tree."""
    if isinstance(tree, list):
        for item in tree:
            component_props(item, into)
    elif isinstance(tree, dict) and isinstance(tree.get("props"), dict) and "type" in tree:
        props = tree["props"]
        if isinstance(props.get("id"), str):
            into.update({(props["id"], name): value for name, value in props.items()})
        for value in props.values():
            if isinstance(value, (list, dict)):
                component_props(value, into)
    return into


def parse_outputs(output: str) -> list[dict]:
    """The `outputs` of a request body, from a callback's `output` string."""
    names = output[2:-2].split("...") if output.startswith("..") else [output]
    return [dict(zip(("id", "property"), name.rsplit(".", 1), strict=True)) for name in names]


def callback_map(dependencies: list[dict]) -> dict[str, dict]:
    """The Overview's server callbacks by first output (without any `@` suffix)."""
    found = {}
    for entry in dependencies:
        if entry.get("clientside_function"):
            continue
        first = parse_outputs(entry["output"])[0]
        key = f"{first['id']}.{first['property'].split('@')[0]}"
        if key in (PAGE, LOAD, RATE, URL, HEAVY, TICK) and "@" not in first["property"]:
            found[key] = entry
    missing = {PAGE, LOAD, RATE, URL, HEAVY, TICK} - set(found)
    if missing:
        raise LookupError(f"callbacks not in /_dash-dependencies: {sorted(missing)}")
    return found


_CALLBACK_MAPS: dict[bytes, dict] = {}  # every user gets the same map: parse it once


class OverviewUser:
    """One signed-in person with the Overview open, refreshing at the page's interval."""

    def __init__(self, browser: Browser, email: str, password: str, stopping: asyncio.Event, seed: int):
        self.browser, self.email, self.password, self.stopping = browser, email, password, stopping
        self.rng = random.Random(seed)
        self.props: dict = {}
        self.config: dict = {}
        self.callbacks: dict[str, dict] = {}
        self.open_seconds: float | None = None  # GET / to the load callback's answer
        self._heavy: asyncio.Task | None = None
        self._heavy_job_id: str | None = None
        self._tick_sent: float | None = None  # the tick in flight, if any (the `running=` flag)
        self._tasks: set[asyncio.Task] = set()

    async def sign_in(self) -> bool:
        """GET /login for the form's token, then POST it: the browser's sign-in."""
        form = await self.browser.request("login-form", "GET", "/login")
        token = CSRF_FIELD.search(form.body) if form and form.status == 200 else None
        if token is None:
            return False
        fields = {"csrf_token": token.group(1).decode(), "next": "", "email": self.email,
                  "password": self.password}
        answer = await self.browser.request(
            "login", "POST", "/login", urlencode(fields).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"})
        return bool(answer and answer.status == 302 and "session" in self.browser.cookies)

    def _body(self, callback: dict, changed=(), blank: bool = False) -> bytes:
        def item(dep: dict) -> dict:
            entry = {"id": dep["id"], "property": dep["property"]}
            if blank:
                entry["value"] = None
            elif (dep["id"], dep["property"]) in self.props:
                entry["value"] = self.props[(dep["id"], dep["property"])]
            return entry

        outputs = parse_outputs(callback["output"])
        inputs = [item(dep) for dep in callback["inputs"]]
        if changed == "all":
            changed = [f"{dep['id']}.{dep['property']}" for dep in callback["inputs"]]
        multi = callback["output"].startswith("..")
        body = {"output": callback["output"], "outputs": outputs if multi else outputs[0], "inputs": inputs,
                "changedPropIds": list(changed), "parsedChangedPropsIds": list(changed)}
        if callback["state"]:
            body["state"] = [item(dep) for dep in callback["state"]]
        return json.dumps(body, separators=(",", ":")).encode()

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        token = self.browser.cookies.get(self.config.get("csrf_token_name", "_csrf_token"))
        if token:
            headers[self.config.get("csrf_header_name", "X-CSRFToken")] = unquote(token)
        return headers

    def _merge(self, data: dict) -> None:
        for section in ("response", "sideUpdate"):
            for component, props in (data.get(section) or {}).items():
                for name, value in props.items():
                    self.props[(component, name)] = value
                    if component == "_pages_content" and name == "children":
                        component_props(value, self.props)

    async def call(self, kind: str, key: str, changed=(), extra: str = "") -> dict | None:
        """POST one callback as dash-renderer does; its JSON answer (merged), or None."""
        path = f"/_dash-update-component?endId={self.config.get('end_id', '')}{extra}"
        response = await self.browser.request(kind, "POST", path, self._body(self.callbacks[key], changed),
                                              self._headers())
        if response is None or response.status != 200:
            return None
        try:
            data = response.json()
        except ValueError:
            return None
        self._merge(data)
        return data

    async def open(self) -> bool:
        """GET /, the layout and the callback map, the page callback, then the Overview's own."""
        started = time.monotonic()
        page = await self.browser.request("page", "GET", "/", headers={"Accept": "text/html"})
        found = CONFIG.search(page.body) if page and page.status == 200 else None
        if found is None:
            return False
        self.config = json.loads(found.group(1))
        accept = {"Accept": "application/json"}
        layout, dependencies = await asyncio.gather(
            self.browser.request("layout", "GET", "/_dash-layout", headers=accept),
            self.browser.request("deps", "GET", "/_dash-dependencies", headers=accept))
        if not (layout and dependencies and layout.status == dependencies.status == 200):
            return False
        component_props(layout.json(), self.props)
        self.callbacks = _CALLBACK_MAPS.get(dependencies.body) or _CALLBACK_MAPS.setdefault(
            dependencies.body, callback_map(dependencies.json()))
        self.props[("_pages_location", "pathname")], self.props[("_pages_location", "search")] = "/", ""
        if await self.call("cb:page", PAGE, "all") is None:
            return False
        mounted = time.monotonic()
        self._spawn(self._ticks(mounted))
        self._spawn(self._heavy_refreshes(mounted))
        self._heavy = self._spawn(self._heavy_job(()))
        results = await asyncio.gather(*(self.call(f"cb:{name}", key, OPEN_CALLBACKS[key])
                                         for name, key in (("load", LOAD), ("rate", RATE), ("url", URL))))
        if results[0] is None:
            return False
        self.open_seconds = time.monotonic() - started
        return True

    @property
    def heavy_job(self) -> asyncio.Task | None:
        """The heavy panels' job this page is waiting for (started, polling), if any."""
        return self._heavy

    def _spawn(self, coroutine) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _wait_until(self, moment: float) -> bool:
        """Sleep until `moment` (monotonic); False if the run is stopping."""
        try:
            await asyncio.wait_for(self.stopping.wait(), max(0.0, moment - time.monotonic()))
        except TimeoutError:
            return True
        return False

    async def _ticks(self, mounted: float) -> None:
        """dcc.Interval's n_intervals every interval ms, through the page's tick gate: a tick goes
        out only when the last one has answered (or has hung for 30 s)."""
        count = 0
        while True:
            interval = (self.props.get(("ov-interval", "interval")) or 5000) / 1000
            count += 1
            due = mounted + count * interval
            if not await self._wait_until(due):
                return
            self.browser.recorder.lags.append((due, time.monotonic() - due))
            if self.props.get(("ov-interval", "disabled")):
                continue
            if self._tick_sent is not None and time.monotonic() - self._tick_sent < TICK_GATE_S:
                self.browser.recorder.skipped.append(due)
                continue
            self.props[("ov-tick", "data")] = count
            self._tick_sent = time.monotonic()
            self._spawn(self._tick())

    async def _tick(self) -> None:
        reload_before, sent = self.props.get(("ov-reload", "data")), time.monotonic()
        try:
            data = await self.call("tick", TICK, ("ov-tick.data",))
        finally:
            self._tick_sent = None
        if data and "ov-tick-data" in (data.get("response") or {}):
            self.browser.recorder.fresh.append(sent)
        if data and self.props.get(("ov-reload", "data")) != reload_before:
            await self.call("cb:reload", LOAD, ("ov-reload.data",))

    async def _heavy_refreshes(self, mounted: float) -> None:
        """The heavy panels' own interval; a refresh that finds a job running cancels it, as
        dash-renderer does with `oldJob`. Its phase is random, as if the page had been open for a
        while: the pages of a step open within seconds, and would otherwise refresh all at once."""
        count, phase = 0, self.rng.random()
        while True:
            interval = (self.props.get(("ov-heavy-interval", "interval")) or 120_000) / 1000
            if not await self._wait_until(mounted + (count + phase) * interval):
                return
            count += 1
            self.props[("ov-heavy-interval", "n_intervals")] = count
            old_job = None
            if self._heavy is not None and not self._heavy.done():
                old_job = self._heavy_job_id
                self._heavy.cancel()
            self._heavy = self._spawn(self._heavy_job(("ov-heavy-interval.n_intervals",), old_job))

    async def _heavy_job(self, changed, old_job: str | None = None) -> None:
        """Start the background callback, then poll it every `interval` ms until it answers."""
        recorder, started = self.browser.recorder, time.monotonic()
        callback = self.callbacks[HEAVY]
        poll_every = ((callback.get("background") or {}).get("interval") or 500) / 1000
        data = await self.call("heavy:start", HEAVY, changed, f"&oldJob={old_job}" if old_job else "")
        if data is None:
            recorder.add("heavy:job", started, 0, "the job did not start")
            return
        self._heavy_job_id = data.get("job")
        query = f"&cacheKey={data.get('cacheKey')}&job={data.get('job')}"
        while "response" not in data:
            if time.monotonic() - started > HEAVY_TIMEOUT_S:
                recorder.add("heavy:job", started, 0, f"no result within {HEAVY_TIMEOUT_S:.0f} s")
                return
            if not await self._wait_until(time.monotonic() + poll_every):
                return
            path = f"/_dash-update-component?endId={self.config.get('end_id', '')}{query}"
            response = await self.browser.request("heavy:poll", "POST", path,
                                                  self._body(callback, changed, blank=True), self._headers())
            if response is None or response.status not in (200, 204):
                recorder.add("heavy:job", started, response.status if response else 0, "a poll failed")
                return
            if response.status == 204:
                break
            data = response.json()
            self._merge(data)
        recorder.add("heavy:job", started, 200, None)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.browser.close()
