"""``chainsaw-py cluster serve``: run the embedded Kubernetes cluster in the foreground.

Writes a kubeconfig (mode 0600; never over an existing file unless ``--overwrite-kubeconfig``), prints one line containing ``ready`` once requests are accepted, and stops
cleanly on SIGINT/SIGTERM. No container is ever pulled or run: workloads are simulated.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import Any

from chainsaw_py.commands.test import add_sut_flags, image_mapping
from chainsaw_py.commands.tree import Arguments, Command, no_args, show_help

AUTHORIZATION_MODES = ("RBAC", "AlwaysAllow")


def command() -> Command:
    serve = Command("serve", "Serve the embedded cluster in the foreground until interrupted", run=run_serve,
                    args=no_args)
    serve.flag("kubeconfig", "string", "Where to write the kubeconfig (a new file: an existing one is an error)",
               required=True)
    serve.flag("overwrite-kubeconfig", "bool",
               "Replace an existing --kubeconfig file (a symlink is replaced, not followed)", value=False)
    serve.flag("port", "int", "Port to listen on (0: a free one)", value=0)
    serve.flag("s3", "bool", "Also start a local S3 endpoint (moto)", value=False)
    serve.flag("plugin", "stringArray", "Load a plugin file (def register(registry)); repeatable", value=[])
    serve.flag("insecure-http", "bool", "Serve plain HTTP (kubectl will not send the token; for Python clients only)",
               value=False)
    serve.flag("authorization-mode", "string",
               "RBAC (ServiceAccounts and --token-auth-file users get what their Roles grant; the kubeconfig's "
               "admin is in system:masters) or AlwaysAllow", value="RBAC", choices=AUTHORIZATION_MODES)
    serve.flag("token-auth-file", "string",
               'Static users, as kube-apiserver reads them: token,user,uid,"group1,group2" per line')
    add_sut_flags(serve, processes=False)
    return Command("cluster", "Run the embedded Kubernetes cluster (chainsaw_py)", run=show_help,
                   args=no_args).add(serve)


def run_serve(args: Arguments) -> int:
    from chainsaw_py.embedded import EmbeddedCluster
    from chainsaw_py.embedded.store import serving_collector
    from chainsaw_py.errors import ChainsawError

    if not 0 <= args.port <= 65535:
        raise ChainsawError(f"invalid port {args.port}: must be between 0 and 65535")
    stop = threading.Event()

    def request_stop(signum: int, frame: Any) -> None:
        stop.set()

    if args.authorization_mode not in AUTHORIZATION_MODES:
        raise ChainsawError(f'invalid value "{args.authorization_mode}" for --authorization-mode: expected one of '
                            f"{', '.join(AUTHORIZATION_MODES)}")
    images = [image_mapping(text) for text in args.map_image]
    if args.sut_config is not None:
        from chainsaw_py.loading.sut import load_sut

        images = [*load_sut(Path(args.sut_config)).images, *images]
    users = []
    if args.token_auth_file is not None:
        from chainsaw_py.embedded.auth.authenticator import TokenFileError, read_token_file

        try:
            users = read_token_file(Path(args.token_auth_file))
        except TokenFileError as err:
            raise ChainsawError(f"--token-auth-file: {err}") from None
    cluster = EmbeddedCluster(kubeconfig=Path(args.kubeconfig), port=args.port, s3=args.s3,
                              tls=not args.insecure_http, authorization=args.authorization_mode, users=users,
                              overwrite_kubeconfig=args.overwrite_kubeconfig, images=images)
    for plugin in args.plugin:
        cluster.load_plugin(Path(plugin))
    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with cluster, serving_collector():
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
