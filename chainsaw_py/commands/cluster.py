"""``chainsaw-py cluster serve``: run the embedded Kubernetes cluster in the foreground.

Writes a kubeconfig (mode 0600), prints one line containing ``ready`` once requests are accepted, and stops
cleanly on SIGINT/SIGTERM. No container is ever pulled or run: workloads are simulated.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("cluster", help="Run the embedded Kubernetes cluster")
    actions = parser.add_subparsers(dest="cluster_command", metavar="ACTION")
    serve = actions.add_parser("serve", help="Serve the embedded cluster in the foreground until interrupted")
    serve.add_argument("--kubeconfig", required=True, type=Path, help="Where to write the kubeconfig")
    serve.add_argument("--port", type=int, default=0, help="Port to listen on (default: a free one)")
    serve.add_argument("--s3", action="store_true", help="Also start a local S3 endpoint (moto)")
    serve.add_argument("--plugin", action="append", default=[], type=Path, metavar="FILE",
                       help="Load a plugin file (def register(registry)); repeatable")
    serve.add_argument("--insecure-http", action="store_true",
                       help="Serve plain HTTP (kubectl will not send the token; for Python clients only)")
    serve.add_argument("--authorization-mode", choices=("RBAC", "AlwaysAllow"), default="RBAC",
                       help="RBAC (default: ServiceAccounts and --token-auth-file users get what their Roles grant; "
                            "the kubeconfig's admin is in system:masters) or AlwaysAllow")
    serve.add_argument("--token-auth-file", type=Path, metavar="FILE",
                       help='Static users, as kube-apiserver reads them: token,user,uid,"group1,group2" per line')
    serve.set_defaults(handler=run_serve)
    parser.set_defaults(handler=lambda args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def run_serve(args: argparse.Namespace) -> int:
    from chainsaw_py.embedded import EmbeddedCluster
    from chainsaw_py.errors import ChainsawError

    if not 0 <= args.port <= 65535:
        raise ChainsawError(f"invalid port {args.port}: must be between 0 and 65535")
    stop = threading.Event()

    def request_stop(signum: int, frame: Any) -> None:
        stop.set()

    users = []
    if args.token_auth_file is not None:
        from chainsaw_py.embedded.auth.authenticator import TokenFileError, read_token_file

        try:
            users = read_token_file(args.token_auth_file)
        except TokenFileError as err:
            raise ChainsawError(f"--token-auth-file: {err}") from None
    cluster = EmbeddedCluster(kubeconfig=args.kubeconfig, port=args.port, s3=args.s3, tls=not args.insecure_http,
                              authorization=args.authorization_mode, users=users)
    for plugin in args.plugin:
        cluster.load_plugin(plugin)
    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with cluster:
            details = f"server {cluster.server_url}, kubeconfig {cluster.kubeconfig_path}"
            if cluster.s3 is not None:
                details += f", s3 {cluster.s3.endpoint_url}"
            print(f"embedded cluster ready: {details}", flush=True)
            while not stop.wait(0.5):
                pass
            print("embedded cluster stopping", file=sys.stderr, flush=True)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
