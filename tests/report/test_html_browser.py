"""The HTML report in a real headless browser (Debian's ``chromium``; skipped when it is not installed):
a screenshot of the timeline shows the bars in their colours and places, and the page's script runs
(layout of the timeline, a link from a bar opening its test, the status filter)."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from chainsaw_py.report.html import render_html

from .test_html import sample_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")

FAILED_OPERATION = (0xB2, 0x2A, 0x2A)
PASSED_STEP = (0x2E, 0x9E, 0x4F)
CATCH_OPERATION = (0x7D, 0x57, 0xC2)
PROBE = """<script>
(function(){
  var box=document.getElementById('timeline-chart').getBoundingClientRect();
  var bars=Array.prototype.filter.call(document.querySelectorAll('#timeline-chart .bar'),
    function(b){var r=b.getBoundingClientRect();return r.width>0&&r.height>0;});
  var status=document.getElementById('filter-status');
  status.value='failed';status.dispatchEvent(new Event('input'));
  var shown=document.querySelectorAll('#test-list details.test:not([hidden])').length;
  document.body.setAttribute('data-probe',[Math.round(box.width),Math.round(box.height),bars.length,shown].join(','));
})();
</script>
</body>"""


def chromium(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[bytes]:
    command = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
               "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", *arguments]
    return subprocess.run(command, capture_output=True, timeout=120, check=True, cwd=tmp_path)


def read_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB rows of an 8-bit RGB or RGBA, non-interlaced PNG (what chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks = 8, {b"IDAT": b""}
    header = b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position:position + 4])
        kind, body = data[position + 4:position + 8], data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks[b"IDAT"] += body
        position += 12 + length
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and color in (2, 6) and interlace == 0
    channels = 4 if color == 6 else 3
    return width, height, _unfilter(zlib.decompress(chunks[b"IDAT"]), width, height, channels)


def _unfilter(raw: bytes, width: int, height: int, channels: int) -> list[bytes]:
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up = previous[x]
            corner = previous[x - channels] if x >= channels else 0
            line[x] = (line[x] + _predict(kind, left, up, corner)) & 0xFF
        rows.append(bytes(line[i] for i in range(stride) if channels == 3 or i % 4 != 3))
        previous = line
    return rows


def _predict(kind: int, left: int, up: int, corner: int) -> int:
    if kind == 0:
        return 0
    if kind == 1:
        return left
    if kind == 2:
        return up
    if kind == 3:
        return (left + up) // 2
    estimate = left + up - corner
    distances = (abs(estimate - left), abs(estimate - up), abs(estimate - corner))
    return (left, up, corner)[distances.index(min(distances))]


def pixels_of(rows: list[bytes], colour: tuple[int, int, int], bottom: int) -> list[tuple[int, int]]:
    """Where ``colour`` (within a small tolerance) appears above row ``bottom``."""
    found = []
    for y, row in enumerate(rows[:bottom]):
        for x in range(0, len(row), 3):
            if all(abs(row[x + i] - colour[i]) <= 4 for i in range(3)):
                found.append((x // 3, y))
    return found


@pytest.fixture
def page(tmp_path: Path) -> Path:
    file = tmp_path / "report.html"
    file.write_text(render_html(sample_report()))
    return file


def test_screenshot_of_the_timeline(tmp_path: Path, page: Path) -> None:
    shot = tmp_path / "shot.png"
    chromium(tmp_path, "--window-size=1000,420", f"--screenshot={shot}", page.as_uri())
    width, height, rows = read_png(shot.read_bytes())
    assert (width, height) == (1000, 420)
    assert len({row[x:x + 3] for row in rows[::7] for x in range(0, len(row), 21)}) > 10, "a blank page"
    # The timeline is the only place with operation bars; the test list (below) shows status badges only.
    failed = pixels_of(rows, FAILED_OPERATION, height)
    catch = pixels_of(rows, CATCH_OPERATION, height)
    steps = pixels_of(rows, PASSED_STEP, height)
    assert len(failed) > 50, "the failed assert of test 'second' is not drawn"
    assert len(catch) > 20 and len(steps) > 200
    # 'second' runs 2s..12s of an 18s run, in the second lane: its failed assert (7s..11.5s) is drawn right of
    # the first lane's 'first' catch (7.5s..8s starts later than 7s, so compare the left edges of the bars),
    # lower than the first lane, and its catch block follows it.
    failed_xs = [x for x, _ in failed]
    failed_ys = [y for _, y in failed]
    lane_two_catch = [x for x, y in catch if min(failed_ys) - 10 <= y <= max(failed_ys) + 10]
    assert lane_two_catch and min(lane_two_catch) >= max(failed_xs) - 2
    first_lane_steps = [y for _, y in steps if y < min(failed_ys) - 10]
    assert first_lane_steps, "the first lane is not above the second"
    span = max(x for x, _ in steps) - min(x for x, _ in steps)
    assert 0.2 < (max(failed_xs) - min(failed_xs)) / span < 0.3  # 4.5s of the 18s shown


def test_the_script_runs_and_lays_the_timeline_out(tmp_path: Path, page: Path) -> None:
    probed = tmp_path / "probed.html"
    probed.write_text(page.read_text().replace("</body>", PROBE))
    result = chromium(tmp_path, "--window-size=1000,800", "--dump-dom", probed.as_uri() + "#test-0")
    dom = result.stdout.decode()
    match = re.search(r'data-probe="(\d+),(\d+),(\d+),(\d+)"', dom)
    assert match, "the page's script did not run"
    width, height, bars, shown = map(int, match.groups())
    assert width > 500 and height > 60
    assert bars == 5
    assert shown == 2  # the status filter keeps only the failed tests
    assert re.search(r'<details id="test-0" class="test passed"[^>]* open', dom), "a link did not open its test"
