"""The HTML report: one self-contained page (styles and script inline, nothing fetched) to open after a run.

- a timeline: one lane per parallel worker (lanes found from the tests' time intervals, so that a merged
  report gets them too), one block of lanes per ``TestReport.group``; tests are bars split into steps and
  operations, coloured by result, with durations on hover;
- the tests (filter by status, label and name; sort by duration), each opening to its steps, operations,
  errors (YAML diffs coloured), catch/finally/cleanup output and the log lines the processes of the system
  under test wrote while it ran;
- the run's summary, cluster and settings.

The page is rendered here, with the standard library: every text is HTML-escaped. Masking secrets is the
caller's business (``writers.save_report`` masks the report first).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from chainsaw_py.report.model import OperationReport, ProcessLog, Report, StepReport, TestReport

OPEN_FAILURES = 20
"""Failed tests are shown open when there are at most this many (a browser lays out only open ones)."""
PROCESS_LINES_PER_TEST = 200
"""Log lines of each process shown under a test (the last ones written while the test ran)."""
_TICK_STEPS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400)


def render_html(report: Report, *, title: str = "") -> str:
    """The whole page for ``report``."""
    heading = title or report.name or "chainsaw report"
    body = "\n".join([
        f"<header><h1>{_e(heading)}</h1>{_summary(report)}</header>",
        _timeline(report),
        _tests(report),
        _processes(report.processes),
        _settings(report),
    ])
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(heading)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n"
            f"<script>{SCRIPT}</script>\n</body>\n</html>\n")


# --------------------------------------------------------------------------------------- helpers


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _seconds(start: datetime | None, end: datetime | None) -> float:
    if start is None or end is None:
        return 0.0
    return max((end - start).total_seconds(), 0.0)


def duration_text(seconds: float) -> str:
    """``850ms``, ``3.21s``, ``2m5.0s``, ``1h2m3s``."""
    if seconds == 0:
        return "0s"
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.2f}s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return f"{int(minutes)}m{rest:.0f}s" if rest == int(rest) else f"{int(minutes)}m{rest:.1f}s"
    hours, minutes = divmod(minutes, 60)
    return f"{int(hours)}h{int(minutes)}m{rest:.0f}s"


def _clock(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + moment.strftime(" %z") if moment else "-"


def test_status(test: TestReport) -> str:
    """``passed``, ``failed`` or ``skipped``. Unlike the JSON's status (Chainsaw's: failed try operations
    only), an error outside the try operations (setup, catch, finally, cleanup) fails the test here, as it
    fails the run."""
    if test.skipped:
        return "skipped"
    blocks = (op for step in test.steps for ops in step.blocks.values() for op in ops)
    return "failed" if test.failed or test.errors or any(op.failed for op in blocks) else "passed"


def _status_of_operations(operations: Iterable[OperationReport]) -> str:
    return "failed" if any(op.failed for op in operations) else "passed"


def _test_end(test: TestReport) -> datetime:
    """The end of everything recorded for ``test`` (its cleanup steps end after ``end_time``)."""
    ends = [test.end_time or test.start_time]
    for step in test.steps:
        ends.append(step.end_time or step.start_time)
        ends.extend(op.end_time or op.start_time for ops in _all_operations(step) for op in ops)
    return max(ends)


def _all_operations(step: StepReport) -> list[list[OperationReport]]:
    return [step.operations, *step.blocks.values()]


# --------------------------------------------------------------------------------------- summary


def _summary(report: Report) -> str:
    counts = {status: sum(1 for t in report.tests if test_status(t) == status) for status in ("passed", "failed",
                                                                                        "skipped")}
    items = [f'<span class="badge {status}">{count} {status}</span>' for status, count in counts.items()]
    items.append(f'<span class="badge">{len(report.tests)} tests</span>')
    items.append(f'<span class="badge">{_e(duration_text(_seconds(report.start_time, report.end_time)))}</span>')
    if report.interrupted:
        items.append('<span class="badge failed">interrupted</span>')
    lines = [f'<p class="summary">{" ".join(items)}</p>',
             f'<p class="when">{_e(_clock(report.start_time))} &rarr; {_e(_clock(report.end_time))}</p>']
    if report.cluster:
        lines.append(f'<p class="cluster">Cluster: {_e(report.cluster)}</p>')
    return "\n".join(lines)


def _settings(report: Report) -> str:
    if not report.settings:
        return ""
    rows = "\n".join(f"<li>{_e(line)}</li>" for line in report.settings)
    return f'<section id="settings"><h2>Settings</h2><ul class="settings">\n{rows}\n</ul></section>'


# --------------------------------------------------------------------------------------- timeline


@dataclass
class _Placed:
    index: int
    test: TestReport
    start: datetime
    end: datetime


def assign_lanes(intervals: list[tuple[datetime, datetime]]) -> list[int]:
    """Greedy interval colouring: each interval (in start order) takes the first lane free by its start.
    Gives as many lanes as the most intervals overlapping at once — the workers of a parallel run."""
    order = sorted(range(len(intervals)), key=lambda i: (intervals[i][0], intervals[i][1]))
    lane_ends: list[datetime] = []
    lanes = [0] * len(intervals)
    for index in order:
        start, end = intervals[index]
        free = next((lane for lane, busy_until in enumerate(lane_ends) if busy_until <= start), None)
        if free is None:
            free = len(lane_ends)
            lane_ends.append(end)
        lane_ends[free] = end
        lanes[index] = free
    return lanes


def _groups(report: Report) -> dict[str, list[_Placed]]:
    groups: dict[str, list[_Placed]] = {}
    for index, test in enumerate(report.tests):
        groups.setdefault(test.group, []).append(_Placed(index, test, test.start_time, _test_end(test)))
    return groups


def _timeline(report: Report) -> str:
    groups = _groups(report)
    if not groups:
        return '<section id="timeline"><h2>Timeline</h2><p>No tests ran.</p></section>'
    scale = max(_seconds(min(p.start for p in placed), max(p.end for p in placed)) for placed in groups.values())
    blocks = [_timeline_group(name, placed, max(scale, 0.001)) for name, placed in groups.items()]
    return (f'<section id="timeline"><h2>Timeline</h2>\n<div class="timeline" id="timeline-chart">\n'
            f'{"".join(blocks)}</div></section>')


def _timeline_group(name: str, placed: list[_Placed], scale: float) -> str:
    origin = min(p.start for p in placed)
    lanes = assign_lanes([(p.start, p.end) for p in placed])
    rows: list[list[str]] = [[] for _ in range(max(lanes) + 1)]
    for item, lane in zip(placed, lanes, strict=True):
        rows[lane].append(_bar(item, origin, scale))
    heading = f'<h3>{_e(name)}</h3>' if name else ""
    lane_html = "".join(f'<div class="lane"><span class="lane-name">worker {number + 1}</span>'
                        f'<div class="track">{"".join(bars)}</div></div>' for number, bars in enumerate(rows))
    return (f'<div class="group" data-group="{_e(name)}">{heading}{_axis(scale)}{lane_html}</div>\n')


def _axis(scale: float) -> str:
    step = next((s for s in _TICK_STEPS if scale / s <= 10), _TICK_STEPS[-1])
    ticks = []
    value = 0.0
    while value <= scale + 1e-9:
        ticks.append(f'<span class="tick" style="left:{value / scale * 100:.3f}%">{_e(duration_text(value))}</span>')
        value += step
    return f'<div class="axis"><span class="lane-name"></span><div class="track">{"".join(ticks)}</div></div>'


def _position(start: datetime, end: datetime, origin: datetime, scale: float) -> str:
    left = _seconds(origin, start) / scale * 100
    width = _seconds(start, end) / scale * 100
    return f"left:{left:.3f}%;width:{width:.3f}%"


def _bar(item: _Placed, origin: datetime, scale: float) -> str:
    test = item.test
    span = max(_seconds(item.start, item.end), 0.001)
    inner = [_segment("step", step.name, "failed" if step.failed else "passed", step.start_time,
                      step.end_time or step.start_time, item.start, span) for step in test.steps]
    for step in test.steps:
        for block, operations in (("", step.operations), *step.blocks.items()):
            inner.extend(_segment(f"op {block}".strip(), f"{step.name} / {op.name} ({op.type})",
                                  "failed" if op.failed else "passed", op.start_time, op.end_time or op.start_time,
                                  item.start, span) for op in operations)
    name = _display_name(test)
    status = test_status(test)
    hover = f"{name} — {duration_text(_seconds(test.start_time, test.end_time))} ({status})"
    return (f'<a class="bar {status}" href="#test-{item.index}" data-test="{item.index}" '
            f'style="{_position(item.start, item.end, origin, scale)}" title="{_e(hover)}">{"".join(inner)}</a>')


def _segment(kind: str, name: str, status: str, start: datetime, end: datetime, origin: datetime,
             span: float) -> str:
    hover = f"{name} — {duration_text(_seconds(start, end))} ({status})"
    return (f'<span class="{kind} {status}" style="{_position(start, end, origin, span)}" '
            f'title="{_e(hover)}"></span>')


def _display_name(test: TestReport) -> str:
    return f"{test.name} ({test.scenario})" if test.scenario else test.name


# --------------------------------------------------------------------------------------- tests


def _tests(report: Report) -> str:
    failures = sum(1 for test in report.tests if test_status(test) == "failed")
    rows = "\n".join(_test_row(index, test, report.processes, failures <= OPEN_FAILURES)
                     for index, test in enumerate(report.tests))
    return f"""<section id="tests"><h2>Tests</h2>
<div class="filters">
<label>Status <select id="filter-status"><option value="">all</option><option>passed</option>
<option>failed</option><option>skipped</option></select></label>
<label>Name <input id="filter-name" type="search" placeholder="part of the name"></label>
<label>Label <input id="filter-label" type="search" placeholder="key=value"></label>
<label>Sort <select id="sort"><option value="order">completion order</option>
<option value="duration-desc">slowest first</option><option value="duration-asc">fastest first</option>
<option value="start">start time</option></select></label>
<span id="filter-count">{len(report.tests)} tests</span>
</div>
<div id="test-list">
{rows}
</div></section>"""


def _test_row(index: int, test: TestReport, processes: list[ProcessLog], open_failed: bool) -> str:
    seconds = _seconds(test.start_time, test.end_time)
    status = test_status(test)
    labels = " ".join(f"{key}={value}" for key, value in sorted(test.labels.items()))
    chips = "".join(f'<span class="label">{_e(key)}={_e(value)}</span>' for key, value in sorted(test.labels.items()))
    attributes = (f'id="test-{index}" class="test {status}" data-status="{status}" '
                  f'data-name="{_e(_display_name(test))}" data-labels="{_e(labels)}" data-duration="{seconds:.6f}" '
                  f'data-start="{test.start_time.timestamp():.6f}" data-order="{index}"')
    opened = " open" if status == "failed" and open_failed else ""
    summary = (f'<summary><span class="badge {status}">{status}</span>'
               f'<span class="name">{_e(_display_name(test))}</span><span class="path">{_e(test.base_path)}</span>'
               f'<span class="labels">{chips}</span><span class="duration">{_e(duration_text(seconds))}</span>'
               f"</summary>")
    body = [_test_facts(test, seconds), _errors(test.errors), *(_step(step) for step in test.steps),
            _process_lines(test, processes)]
    return f'<details {attributes}{opened}>{summary}<div class="body">{"".join(body)}</div></details>'


def _test_facts(test: TestReport, seconds: float) -> str:
    facts = [("path", test.base_path), ("namespace", test.namespace), ("scenario", test.scenario),
             ("group", test.group), ("start", _clock(test.start_time)), ("end", _clock(test.end_time)),
             ("duration", duration_text(seconds))]
    cells = "".join(f"<dt>{name}</dt><dd>{_e(value)}</dd>" for name, value in facts if value)
    return f'<dl class="facts">{cells}</dl>'


def _errors(errors: list[str]) -> str:
    if not errors:
        return ""
    blocks = "".join(_error_block(error) for error in errors)
    return f'<div class="test-errors"><h4>Errors</h4>{blocks}</div>'


def _step(step: StepReport) -> str:
    status = "failed" if step.failed else "passed"
    seconds = _seconds(step.start_time, step.end_time)
    parts = [f'<div class="step {status}"><h4><span class="badge {status}">{status}</span> {_e(step.name)} '
             f'<span class="duration">{_e(duration_text(seconds))}</span></h4>']
    parts.extend(_operation(op, step.start_time) for op in step.operations)
    for block, operations in step.blocks.items():
        parts.append(f'<h5 class="block">{_e(block)} ({_status_of_operations(operations)})</h5>')
        parts.extend(_operation(op, step.start_time) for op in operations)
    parts.append("</div>")
    return "".join(parts)


def _operation(op: OperationReport, step_start: datetime) -> str:
    status = "failed" if op.failed else "passed"
    seconds = _seconds(op.start_time, op.end_time)
    offset = _seconds(step_start, op.start_time)
    head = (f'<summary><span class="badge {status}">{status}</span> <span class="name">{_e(op.name)}</span> '
            f'<span class="type">{_e(op.type)}</span> <span class="duration">{_e(duration_text(seconds))}</span> '
            f'<span class="offset">+{_e(duration_text(offset))}</span></summary>')
    body = _error_block(op.error) if op.error else ""
    if op.output:
        body += f'<pre class="output">{_e(op.output)}</pre>'
    opened = " open" if op.failed else ""
    return f'<details class="operation {status}"{opened}>{head}{body or "<p>No output.</p>"}</details>'


def _error_block(text: str) -> str:
    """The error, its unified diff (``--- expected`` / ``+++ actual``) coloured line by line."""
    lines = text.split("\n")
    out: list[str] = []
    in_diff = False
    for number, line in enumerate(lines):
        if line.startswith("--- ") and number + 1 < len(lines) and lines[number + 1].startswith("+++ "):
            in_diff = True
        css = _diff_class(line) if in_diff else ""
        out.append(f'<span class="{css}">{_e(line)}</span>' if css else _e(line))
    return f'<pre class="error">{chr(10).join(out)}</pre>'


def _diff_class(line: str) -> str:
    if line.startswith(("--- ", "+++ ")):
        return "diff-file"
    if line.startswith("@@"):
        return "diff-hunk"
    if line.startswith("+"):
        return "diff-add"
    if line.startswith("-"):
        return "diff-del"
    return ""


# --------------------------------------------------------------------------------------- processes


def _process_lines(test: TestReport, processes: list[ProcessLog]) -> str:
    """The lines each process wrote while ``test`` ran."""
    end = _test_end(test)
    parts = []
    for process in processes:
        lines = [line for moment, line in process.lines if test.start_time <= moment <= end]
        if lines:
            shown = lines[-PROCESS_LINES_PER_TEST:]
            parts.append(f'<details class="process-log"><summary>process {_e(process.name)}: {len(shown)} log lines '
                         f'while the test ran</summary><pre class="output">{_e(chr(10).join(shown))}</pre></details>')
    return "".join(parts)


def _processes(processes: list[ProcessLog]) -> str:
    if not processes:
        return ""
    items = []
    for process in processes:
        state = "running at the end" if process.exit_code is None else f"exit code {process.exit_code}"
        text = "\n".join(f"{moment.strftime('%H:%M:%S.%f')[:-3]} {line}" for moment, line in process.lines)
        items.append(f'<details class="process"><summary>{_e(process.name)}: <code>{_e(process.command)}</code> '
                     f'({_e(state)}, log: {_e(process.log_path)})</summary><pre class="output">{_e(text)}</pre>'
                     f"</details>")
    return f'<section id="processes"><h2>Processes</h2>{"".join(items)}</section>'


CSS = """
:root{--passed:#2e9e4f;--passed-light:#8fd3a5;--failed:#d63b3b;--failed-light:#f2a5a5;--skipped:#9aa0a6;
--block:#7d57c2;--ink:#1f2328;--muted:#656d76;--line:#d0d7de;--panel:#f6f8fa}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--ink);margin:0 auto;padding:16px 24px;
max-width:1600px}
h1{font-size:22px;margin:0 0 8px}h2{font-size:18px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:12px 0 4px}h4{font-size:14px;margin:10px 0 4px}h5{font-size:13px;margin:8px 0 4px}
.badge{display:inline-block;border-radius:10px;padding:0 8px;margin-right:4px;background:var(--panel);
border:1px solid var(--line);font-size:12px}
.badge.passed{background:var(--passed);color:#fff;border-color:var(--passed)}
.badge.failed{background:var(--failed);color:#fff;border-color:var(--failed)}
.badge.skipped{background:var(--skipped);color:#fff;border-color:var(--skipped)}
.when,.cluster{color:var(--muted);margin:2px 0}
.timeline{border:1px solid var(--line);border-radius:6px;padding:8px;background:#fff}
.lane,.axis{display:flex;align-items:center;height:34px}
.axis{height:20px;color:var(--muted);font-size:11px}
.lane-name{width:80px;flex:none;font-size:12px;color:var(--muted)}
.track{position:relative;flex:1;height:100%;border-left:1px solid var(--line)}
.lane .track{background:repeating-linear-gradient(90deg,transparent 0 49px,#f0f2f4 49px 50px)}
.tick{position:absolute;top:2px;transform:translateX(-50%);white-space:nowrap}
.tick:first-child{transform:none}
.bar{position:absolute;top:3px;bottom:3px;min-width:3px;border-radius:3px;display:block;overflow:hidden;
outline:1px solid rgba(0,0,0,.25)}
.bar.passed{background:var(--passed-light)}.bar.failed{background:var(--failed-light)}
.bar.skipped{background:var(--skipped)}
.bar:hover{outline:2px solid var(--ink);z-index:2}
.bar .step{position:absolute;top:0;height:55%;border-right:1px solid #fff}
.bar .step.passed{background:var(--passed)}.bar .step.failed{background:var(--failed)}
.bar .op{position:absolute;bottom:0;height:40%;border-right:1px solid #fff}
.bar .op.passed{background:#5cb87a}.bar .op.failed{background:#b22a2a}
.bar .op.catch,.bar .op.finally,.bar .op.cleanup{background:var(--block)}
.bar .op.catch.failed,.bar .op.finally.failed,.bar .op.cleanup.failed{background:#b22a2a}
.bar span:hover{filter:brightness(.8)}
.filters{display:flex;flex-wrap:wrap;gap:12px;align-items:center;margin:8px 0;padding:8px;background:var(--panel);
border-radius:6px}
#filter-count{color:var(--muted)}
details.test{border:1px solid var(--line);border-left:4px solid var(--skipped);border-radius:4px;margin:4px 0}
details.test.passed{border-left-color:var(--passed)}details.test.failed{border-left-color:var(--failed)}
details.test>summary{display:grid;grid-template-columns:70px minmax(200px,2fr) minmax(120px,2fr) 2fr 90px;gap:8px;
padding:6px 8px;cursor:pointer;align-items:center}
details.test>summary .path,.type,.offset{color:var(--muted)}
.duration{font-variant-numeric:tabular-nums;text-align:right}
.label{display:inline-block;background:#ddf4ff;border-radius:4px;padding:0 4px;margin:1px 2px;font-size:12px}
.body{padding:4px 12px 12px}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:4px 0}
.facts dt{color:var(--muted)}.facts dd{margin:0}
.step{border-top:1px solid var(--line);margin-top:6px}
details.operation{margin:2px 0 2px 12px}details.operation>summary{cursor:pointer}
pre{background:var(--panel);border:1px solid var(--line);border-radius:4px;padding:8px;overflow:auto;
max-height:480px;font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;white-space:pre-wrap}
pre.error{border-color:var(--failed-light)}
.diff-add{color:#116329;background:#dafbe1;display:inline-block;width:100%}
.diff-del{color:#82071e;background:#ffebe9;display:inline-block;width:100%}
.diff-hunk{color:#0550ae}.diff-file{font-weight:bold}
.settings{columns:2;font-family:ui-monospace,monospace;font-size:12px}
"""

SCRIPT = """
(function(){
  var list=document.getElementById('test-list');
  var tests=Array.prototype.slice.call(list.querySelectorAll('details.test'));
  function value(id){return document.getElementById(id).value.toLowerCase();}
  function filter(){
    var status=value('filter-status'),name=value('filter-name'),label=value('filter-label'),shown=0;
    tests.forEach(function(t){
      var ok=(!status||t.dataset.status===status)&&t.dataset.name.toLowerCase().indexOf(name)>=0&&
        t.dataset.labels.toLowerCase().indexOf(label)>=0;
      t.hidden=!ok;if(ok){shown++;}
    });
    document.getElementById('filter-count').textContent=shown+' of '+tests.length+' tests';
  }
  function sort(){
    var key=document.getElementById('sort').value;
    var number=function(t,k){return parseFloat(t.dataset[k]);};
    var order={'order':function(a,b){return number(a,'order')-number(b,'order');},
      'duration-desc':function(a,b){return number(b,'duration')-number(a,'duration');},
      'duration-asc':function(a,b){return number(a,'duration')-number(b,'duration');},
      'start':function(a,b){return number(a,'start')-number(b,'start');}}[key];
    tests.slice().sort(order).forEach(function(t){list.appendChild(t);});
  }
  function reveal(){
    var target=location.hash&&document.getElementById(location.hash.slice(1));
    if(target&&target.tagName==='DETAILS'){target.hidden=false;target.open=true;target.scrollIntoView();}
  }
  ['filter-status','filter-name','filter-label'].forEach(function(id){
    document.getElementById(id).addEventListener('input',filter);});
  document.getElementById('sort').addEventListener('change',sort);
  window.addEventListener('hashchange',reveal);
  reveal();
})();
"""
