"""The warm renderer against real Chromium: the three formats, nothing asked of the network, one
server however many callers start at once, Chromium replaced when it dies or hangs, and the
install hint when there is no Chromium. Every server a test starts is stopped, and checked gone
with its Chromium, when the test ends."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio
import pypdf
import pytest

from exports import renderer
from exports.renderer import BrowserMissing, RenderError, ServerOptions
from tests.conftest import wait_until

ROOT = Path(__file__).resolve().parents[2]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"


def png_size(image: bytes) -> tuple[int, int]:
    assert image[:8] == PNG_MAGIC, "not a PNG"
    return int.from_bytes(image[16:20], "big"), int.from_bytes(image[20:24], "big")


def svg_root(image: bytes) -> ET.Element:
    root = ET.fromstring(image)  # noqa: S314 (drawn by our own renderer from our own figure)
    assert root.tag == f"{SVG}svg"
    return root


def svg_texts(image: bytes) -> list[str]:
    return ["".join(element.itertext()) for element in svg_root(image).iter(f"{SVG}text")]


def _proc_stat(pid: str) -> list[str] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return stat[stat.rindex(")") + 2:].split()  # state, ppid, pgrp, ...


def live_pids(field: int, value: int) -> list[int]:
    """Running (not zombie) processes whose /proc stat `field` (1: parent, 2: group) is `value`."""
    found = []
    for entry in Path("/proc").iterdir():
        stat = _proc_stat(entry.name) if entry.name.isdigit() else None
        if stat and stat[0] != "Z" and int(stat[field]) == value:
            found.append(int(entry.name))
    return found


def servers_for(folder: Path) -> list[int]:
    """Running render server processes for `folder`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            words = (entry / "cmdline").read_bytes().split(b"\0")
            ours = b"exports.render_service" in words and os.fsencode(folder.resolve()) in words
            if ours and (stat := _proc_stat(entry.name)) and stat[0] != "Z":
                found.append(int(entry.name))
    return found


def starts_logged(folder: Path) -> int:
    return (folder / "server.log").read_text().count(" started for ")


def stop_and_check(folder: Path) -> None:
    """Stop the server of `folder` and check that it and every Chromium it ran are gone."""
    status = renderer.server_status(folder)
    renderer.stop_server(folder)
    assert servers_for(folder) == []
    if status and status["browser_pid"]:
        wait_until(lambda: live_pids(2, status["browser_pid"]) == [], 10, "Chromium to exit")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One warm server for the tests that only draw."""
    folder = tmp_path_factory.mktemp("shared") / "renderer"
    renderer.warm_up(folder)
    yield folder
    stop_and_check(folder)


@pytest.fixture
def folder(tmp_path):
    """A fresh renderer folder with no server yet; whatever server a test starts is stopped."""
    folder = tmp_path / "renderer"
    yield folder
    stop_and_check(folder)


def request_for(index: int) -> tuple[go.Figure, dict]:
    """A figure and size that no other request shares, and the SHA-256 of the figure's JSON."""
    figure = go.Figure(go.Scatter(x=[1, 2, 3], y=[index, -index, 2 * index]))
    digest = hashlib.sha256(pio.to_json(figure, validate=False).encode()).hexdigest()
    figure.update_layout(title=f"Request {index} {digest[:12]}")
    return figure, {"width": 300 + 20 * index, "height": 200 + 10 * index, "scale": 1.5,
                    "title": f"Request {index} {digest[:12]}"}


def check_image(image: bytes, fmt: str, expected: dict) -> None:
    """The image is the one asked for: its own pixel size and, for SVG, its own title."""
    width = round(expected["width"] * expected["scale"])
    height = round(expected["height"] * expected["scale"])
    if fmt == "png":
        assert png_size(image) == (width, height)
    else:
        root = svg_root(image)
        assert (root.get("width"), root.get("height")) == (str(width), str(height))
        assert expected["title"] in svg_texts(image)


def draw_in_child(folder: str, index: int, fmt: str) -> None:
    """Entry point of the processes in the concurrency test: wait for the go, then draw."""
    print("ready", flush=True)
    sys.stdin.readline()
    figure, expected = request_for(index)
    image = renderer.render(figure, fmt, expected["width"], expected["height"], expected["scale"],
                            folder=folder)
    sys.stdout.buffer.write(image)


def test_png_has_the_asked_pixel_size(server):
    figure = go.Figure(go.Bar(x=["North", "South"], y=[3, -1]))
    image = renderer.render(figure, "png", width=320, height=200, scale=2, folder=server)
    assert png_size(image) == (640, 400)


def test_svg_is_xml_with_the_title(server):
    figure = go.Figure(go.Scatter(y=[1, 3, 2]), layout={"title": "Revenue by day"})
    image = renderer.render(figure, "svg", width=320, height=200, folder=server)
    assert "Revenue by day" in svg_texts(image)


def test_pdf_is_one_page_of_the_asked_size_with_the_title(server):
    figure = go.Figure(go.Scatter(y=[1, 3, 2]), layout={"title": "Revenue by day"})
    image = renderer.render(figure, "pdf", width=320, height=200, folder=server)
    assert image.startswith(b"%PDF")
    reader = pypdf.PdfReader(io.BytesIO(image))
    assert len(reader.pages) == 1
    assert (float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)) == (240, 150)
    assert "Revenue by day" in reader.pages[0].extract_text()


def test_a_figure_dict_renders_too_and_is_left_as_it_was(server):
    figure = {"data": [{"type": "pie", "values": [1, 2], "uid": "slices"}]}
    image = renderer.render(figure, "png", 100, 100, folder=server)
    assert png_size(image) == (100, 100)
    assert figure == {"data": [{"type": "pie", "values": [1, 2], "uid": "slices"}]}


def test_a_malformed_figure_is_refused_and_the_server_carries_on(server):
    before = renderer.server_status(server)
    with pytest.raises(RenderError, match="non-array figure data"):
        renderer.render({"data": "not a list"}, "png", 100, 100, folder=server)
    assert png_size(renderer.render(go.Figure(), "png", 100, 100, folder=server)) == (100, 100)
    after = renderer.server_status(server)
    assert (after["pid"], after["restarts"]) == (before["pid"], before["restarts"])


def test_the_page_kept_between_renders_carries_nothing_from_one_chart_to_the_next(server):
    """The server skips Kaleido's reload after each render: the same chart must still come out
    byte for byte the same after other charts, a PDF and a refused figure were drawn between."""
    figure, size = request_for(3)
    opts = {"width": size["width"], "height": size["height"], "scale": 1}
    first = renderer.render(figure, "png", **opts, folder=server)
    renderer.render(go.Figure(go.Pie(labels=["a", "b"], values=[1, 2])), "png", 300, 200, folder=server)
    other = go.Figure(go.Bar(x=["x"], y=[1]), layout={"title": "Other", "paper_bgcolor": "#123456"})
    renderer.render(other, "pdf", 300, 200, folder=server)
    with pytest.raises(RenderError):
        renderer.render({"data": "not a list"}, "svg", 100, 100, folder=server)
    assert renderer.render(figure, "png", **opts, folder=server) == first


def test_minus_sign_and_latex_title_render_at_once_without_the_network(server):
    """No MathJax, no CDN: a LaTeX title is printed as written, and an image the figure points at
    is refused at once. The image is on a local port that never answers, so a fetch would hang
    (Kaleido #399) and show up as a connection."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    figure = go.Figure(go.Scatter(x=[1, 2, 3], y=[-2.5, 1, -4]),
                       layout={"title": "Change −5% and $x^2$",
                               "images": [{"source": f"http://127.0.0.1:{port}/logo.png", "xref": "paper",
                                           "yref": "paper", "x": 0, "y": 1, "sizex": 0.2, "sizey": 0.2}]})
    with listener:
        svg = renderer.render(figure, "svg", width=400, height=300, folder=server, timeout=10)
        png = renderer.render(figure, "png", width=400, height=300, folder=server, timeout=10)
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody ever connected
    texts = svg_texts(svg)
    assert "Change −5% and $x^2$" in texts
    assert any(text.startswith("−") for text in texts), "negative ticks use the minus sign U+2212"
    assert png_size(png) == (400, 300)


def test_a_forked_child_renders_with_no_state_from_its_parent(server):
    renderer.render(go.Figure(go.Scatter(y=[1, 2])), "png", 100, 100, folder=server)
    receiving, sending = multiprocessing.Pipe(duplex=False)

    def child() -> None:
        sending.send(renderer.render(go.Figure(go.Scatter(y=[2, 1])), "png", 120, 80, folder=server))

    process = multiprocessing.get_context("fork").Process(target=child)
    process.start()
    assert receiving.poll(60), "the forked child did not answer"
    assert png_size(receiving.recv()) == (120, 80)
    process.join(30)
    assert process.exitcode == 0


def test_eight_threads_starting_at_once_start_one_server_and_each_get_their_image(folder):
    start = threading.Barrier(8)
    images: dict[int, bytes] = {}
    errors: list[BaseException] = []

    def draw(index: int) -> None:
        figure, expected = request_for(index)
        start.wait(30)
        try:
            images[index] = renderer.render(figure, "png" if index % 2 else "svg", expected["width"],
                                            expected["height"], expected["scale"], folder=folder)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=draw, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert sorted(images) == list(range(8))
    for index, image in images.items():
        check_image(image, "png" if index % 2 else "svg", request_for(index)[1])
    assert starts_logged(folder) == 1
    assert len(servers_for(folder)) == 1


def test_four_processes_starting_at_once_start_one_server_and_each_get_their_image(folder):
    formats = ["png", "svg", "png", "svg"]
    children = [subprocess.Popen(
        [sys.executable, "-c", "import sys; from tests.integration.test_renderer import draw_in_child; "
         "draw_in_child(sys.argv[1], int(sys.argv[2]), sys.argv[3])", str(folder), str(index), fmt],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for index, fmt in enumerate(formats)]
    try:
        for child in children:
            assert child.stdout.readline() == b"ready\n"
        for child in children:  # every child has imported everything: now all go at once
            child.stdin.write(b"go\n")
            child.stdin.flush()
        outputs = [child.communicate(timeout=120) for child in children]
    finally:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                child.kill()
            child.wait()
    for index, (child, (image, errors)) in enumerate(zip(children, outputs, strict=True)):
        assert child.returncode == 0, errors.decode()
        check_image(image, formats[index], request_for(index)[1])
    assert starts_logged(folder) == 1
    assert len(servers_for(folder)) == 1


def test_a_killed_chromium_is_replaced_and_the_next_render_succeeds(folder):
    before = renderer.warm_up(folder)
    launcher = before["browser_pid"]  # the server's child; Chromium is the launcher's child
    assert live_pids(1, before["pid"]) == [launcher]
    (chromium,) = live_pids(1, launcher)
    assert "chromium" in Path(f"/proc/{chromium}/comm").read_text()
    os.kill(chromium, signal.SIGKILL)

    image = renderer.render(go.Figure(go.Scatter(y=[1, 3, 2])), "png", 200, 100, folder=folder)

    assert png_size(image) == (200, 100)
    after = renderer.server_status(folder)
    assert (after["pid"], after["restarts"]) == (before["pid"], 1)
    assert after["browser_pid"] != launcher
    wait_until(lambda: live_pids(2, launcher) == [], 10, "the dead Chromium's processes to go")


def test_a_render_past_its_timeout_restarts_chromium_and_says_so(folder):
    before = renderer.warm_up(folder, options=ServerOptions(render_timeout=0.01))
    with pytest.raises(RenderError, match="took longer than"):
        renderer.render(go.Figure(go.Scatter(y=[1, 3, 2])), "png", 200, 100, folder=folder)
    after = renderer.server_status(folder)
    assert after["restarts"] == 1
    assert after["browser_pid"] != before["browser_pid"]
    wait_until(lambda: live_pids(2, before["browser_pid"]) == [], 10, "the hung Chromium to go")


def test_an_idle_server_exits_with_its_chromium(folder):
    status = renderer.warm_up(folder, options=ServerOptions(idle_seconds=0.5))
    wait_until(lambda: servers_for(folder) == [], 30, "the idle server to exit")
    wait_until(lambda: live_pids(2, status["browser_pid"]) == [], 10, "its Chromium to exit")
    assert renderer.server_status(folder) is None


def test_a_server_whose_folder_is_deleted_exits_with_its_chromium(folder):
    """pytest deletes old temporary folders, and people delete instance folders: a server nobody
    can reach any more must not hold 0.8 GB until it has been idle for half an hour."""
    status = renderer.warm_up(folder)
    shutil.rmtree(folder)
    wait_until(lambda: servers_for(folder) == [], 30, "the unreachable server to exit")
    wait_until(lambda: live_pids(2, status["browser_pid"]) == [], 10, "its Chromium to exit")


def test_without_chromium_the_error_says_how_to_install_it_and_no_server_stays(folder, tmp_path,
                                                                               monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-chromium-here"))
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing to find on PATH either
    for _attempt in range(2):  # and the second try is no different
        with pytest.raises(BrowserMissing) as caught:
            renderer.render(go.Figure(go.Scatter(y=[1, 2])), "png", 100, 100, folder=folder, timeout=60)
        message = str(caught.value)
        assert "no-chromium-here" in message
        assert "apt-get install chromium" in message
        assert "plotly_get_chrome" in message and "BROWSER_PATH" in message
        wait_until(lambda: servers_for(folder) == [], 30, "the failed server to exit")
    assert not (folder / "render.sock").exists()


def test_sizes_and_formats_out_of_range_are_refused_before_anything_starts(folder):
    figure = go.Figure()
    for fmt, width, scale in [("gif", 100, 1), ("png", 5, 1), ("png", 6000, 2), ("png", 100, 0)]:
        with pytest.raises(ValueError):
            renderer.render(figure, fmt, width, 100, scale, folder=folder)
    assert not folder.exists()


def test_no_server_means_no_status_and_nothing_to_stop(folder):
    assert renderer.server_status(folder) is None
    assert renderer.stop_server(folder) is False


def test_status_reports_the_renders_of_a_warm_server(server):
    before = renderer.server_status(server)
    renderer.render(go.Figure(go.Scatter(y=[1, 2])), "svg", 100, 100, folder=server)
    after = renderer.server_status(server)
    assert after["pid"] == before["pid"] and after["renders"] == before["renders"] + 1
    assert json.dumps(after)  # plain values, fit for a CLI or a health check
