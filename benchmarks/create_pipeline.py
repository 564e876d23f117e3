"""Server CPU per ConfigMap create in the embedded API server's handler, without HTTP: the create pipeline alone.

    python benchmarks/create_pipeline.py [--creates 3000] [--rounds 3] [--baseline /path/to/other/checkout] [--profile]

Each measurement runs in its own process (``--child``) with ``PYTHONPATH`` set to the checkout measured: it
starts an embedded cluster (plain HTTP, its controllers running), builds the requests as the HTTP server
would hand them over (headers of a urllib3 client, a JSON body per ConfigMap) and calls the API handler
directly (``admit`` then ``handle``) for each create, on this thread, with the garbage collector set as a
serving process sets it (``store.serving_collector``, when the checkout has it). Printed per checkout: the median over
``--rounds`` of this thread's CPU per create (``time.thread_time``: the handler), the process's CPU per
create (``resource.getrusage``: the handler plus the controllers that react to the events) and wall time.
With ``--baseline`` the rounds alternate between the two checkouts, so that machine load affects both alike.
``--profile`` adds a cProfile summary of one round (call counts and own time of the costliest functions).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def _requests(count: int, token: str, prefix: str) -> list[Any]:
    from chainsaw_py.embedded.httpserver import Request

    headers = {"host": "127.0.0.1", "accept-encoding": "identity", "user-agent": "python-urllib3/2.3.0",
               "authorization": f"Bearer {token}", "content-type": "application/json"}
    requests = []
    for index in range(count):
        body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"{prefix}-{index}"},
                           "data": {"key": "value"}}).encode()
        request = Request("POST", "/api/v1/namespaces/default/configmaps", {},
                          {**headers, "content-length": str(len(body))}, body)
        request.body_length = len(body)
        requests.append(request)
    return requests


def _run(handler: Any, requests: list[Any]) -> None:
    for request in requests:
        refused = handler.admit(request)
        response = refused if refused is not None else handler.handle(request)
        if response.status != 201:
            raise SystemExit(f"create failed: {response.status} {response.body[:300]!r}")


def child(creates: int, rounds: int, profile: bool) -> dict[str, Any]:
    """Measure in this process (the checkout on ``sys.path``); returns the figures of each round."""
    from contextlib import nullcontext

    from chainsaw_py.embedded import store
    from chainsaw_py.embedded.cluster import EmbeddedCluster

    with tempfile.TemporaryDirectory(prefix="create-pipeline-") as directory:
        cluster = EmbeddedCluster(kubeconfig=Path(directory) / "kubeconfig", tls=False).start()
        serving = getattr(store, "serving_collector", nullcontext)()
        serving.__enter__()
        try:
            handler = cluster._http.app.handler  # type: ignore[union-attr]
            _run(handler, _requests(200, cluster.token, "warm"))   # caches, first-use imports
            cluster.wait_idle(5.0)
            samples: list[dict[str, float]] = []
            for round_index in range(rounds):
                requests = _requests(creates, cluster.token, f"r{round_index}")
                cluster.wait_idle(5.0)
                usage, thread, wall = resource.getrusage(resource.RUSAGE_SELF), time.thread_time(), time.perf_counter()
                _run(handler, requests)
                thread, wall = time.thread_time() - thread, time.perf_counter() - wall
                cluster.wait_idle(5.0)       # the controllers' share of these events
                after = resource.getrusage(resource.RUSAGE_SELF)
                process = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime
                samples.append({"thread_us": thread / creates * 1e6, "process_us": process / creates * 1e6,
                                "wall_us": wall / creates * 1e6})
            summary = _profile(handler, cluster.token, creates) if profile else ""
        finally:
            serving.__exit__(None, None, None)
            cluster.stop()
    return {"samples": samples, "profile": summary}


def _profile(handler: Any, token: str, creates: int) -> str:
    import cProfile
    import io
    import pstats

    requests = _requests(creates, token, "profiled")
    profiler = cProfile.Profile()
    profiler.enable()
    _run(handler, requests)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(40)
    return out.getvalue()


def _measure(checkout: Path, creates: int, rounds: int, profile: bool) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    command = [sys.executable, str(Path(__file__).resolve()), "--child", "--creates", str(creates),
               "--rounds", str(rounds)] + (["--profile"] if profile else [])
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800, check=False)
    if result.returncode != 0:
        raise SystemExit(f"measurement in {checkout} failed:\n{result.stderr[-3000:]}")
    return dict(json.loads(result.stdout))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=3000, help="creates per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per checkout (alternating with --baseline)")
    parser.add_argument("--baseline", type=Path, help="another checkout to measure alternately (e.g. /work/main)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile summary of one round")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help="also write the figures there")
    args = parser.parse_args(argv)
    if args.child:
        json.dump(child(args.creates, args.rounds, args.profile), sys.stdout)
        return {}
    checkouts = {"this checkout": REPO} | ({"baseline": args.baseline.resolve()} if args.baseline else {})
    samples: dict[str, list[dict[str, float]]] = {label: [] for label in checkouts}
    for round_index in range(args.rounds):
        for label, checkout in checkouts.items():
            measured = _measure(checkout, args.creates, 1, args.profile and round_index == 0)
            samples[label] += measured["samples"]
            if measured["profile"]:
                print(f"--- profile of {args.creates} creates, {label} ({checkout}) ---\n{measured['profile']}")
    figures = {label: {key: statistics.median(sample[key] for sample in values)
                       for key in ("thread_us", "process_us", "wall_us")} for label, values in samples.items()}
    print(f"{'checkout':<16}{'handler CPU µs/create':>24}{'process CPU µs/create':>24}{'wall µs/create':>16}")
    for label, figure in figures.items():
        print(f"{label:<16}{figure['thread_us']:>24.0f}{figure['process_us']:>24.0f}{figure['wall_us']:>16.0f}")
    print(f"(ConfigMap creates through the API handler without HTTP; median of {args.rounds} rounds of "
          f"{args.creates}, each round a fresh process{', alternating checkouts' if args.baseline else ''}; "
          f"{os.cpu_count()} CPUs)")
    if args.json:
        args.json.write_text(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
