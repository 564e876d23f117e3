"""``chainsaw-py test``: run tests (the flags of ``chainsaw test``; reference §5.1)."""

from __future__ import annotations

import argparse
from typing import Any

KUBE_FLAGS: tuple[tuple[str, str, str], ...] = (
    ("as", "as", "Username to impersonate for the operation"),
    ("as-uid", "as_uid", "UID to impersonate for the operation"),
    ("certificate-authority", "certificate_authority", "Path to a cert file for the certificate authority"),
    ("client-certificate", "client_certificate", "Path to a client certificate file for TLS"),
    ("client-key", "client_key", "Path to a client key file for TLS"),
    ("cluster", "cluster", "The name of the kubeconfig cluster to use"),
    ("context", "context", "The name of the kubeconfig context to use"),
    ("password", "password", "Password for basic authentication to the API server"),
    ("proxy-url", "proxy_url", "If provided, this URL will be used to connect via proxy"),
    ("request-timeout", "request_timeout", "The length of time to wait before giving up on a single server request"),
    ("server", "server", "The address and port of the Kubernetes API server"),
    ("tls-server-name", "tls_server_name", "Server name to use for server certificate validation"),
    ("token", "token", "Bearer token for authentication to the API server"),
    ("user", "user", "The name of the kubeconfig user to use"),
    ("username", "username", "Username for basic authentication to the API server"),
)


def _bool_flag(parser: argparse.ArgumentParser, name: str, help: str) -> None:
    """A Go-style boolean flag: ``--x``, ``--x=true`` or ``--x=false``; None when not given."""
    parser.add_argument(f"--{name}", nargs="?", const=True, default=None, type=_go_bool, metavar="BOOL", help=help)


def _go_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("1", "t", "true"):
        return True
    if lowered in ("0", "f", "false"):
        return False
    raise argparse.ArgumentTypeError(f'invalid boolean value "{text}"')


def _list(value: str) -> list[str]:
    """pflag's ``StringSlice``: comma-separated values, repeatable."""
    return [part for part in value.split(",") if part != ""]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("test", help="Run tests", description="Run tests")
    add = parser.add_argument
    add("paths", nargs="*", metavar="test directories", help="Directories containing test cases to run")
    add("--config", help="Chainsaw configuration file")
    add("--test-dir", action="extend", type=_list, default=[], help="Directories containing test cases to run")
    for name, default in (("apply", "5s"), ("assert", "30s"), ("cleanup", "30s"), ("delete", "15s"),
                          ("error", "30s"), ("exec", "5s")):
        add(f"--{name}-timeout", metavar="DURATION",
            help=f"The {name} timeout to use as default for configuration (default {default})")
    add("--test-file", help='Name of the test file (default "chainsaw-test")')
    _bool_flag(parser, "full-name", "Use full test case folder path instead of folder name")
    add("--include-test-regex", help="Regular expression to include tests")
    add("--exclude-test-regex", help="Regular expression to exclude tests")
    _bool_flag(parser, "fail-fast", "Stop the test upon encountering the first failure")
    add("--parallel", type=int, help="The maximum number of tests to run at once")
    add("--repeat-count", type=int, help="Number of times to repeat each test (default 1)")
    add("--force-termination-grace-period", metavar="DURATION",
        help="If specified, overrides termination grace periods in applicable resources")
    add("--namespace", help="Namespace to use for tests")
    _bool_flag(parser, "fast-namespace-deletion", "Skips waiting for namespace deletion")
    _bool_flag(parser, "template", "If set, resources will be considered for templating (default true)")
    add("--default-compiler", choices=["jp", "cel", "jsonpath"],
        help="If set, configures the default compiler (jp or cel; jsonpath is a chainsaw_py extension)")
    _bool_flag(parser, "skip-delete", "If set, do not delete the resources after running the tests")
    add("--cleanup-delay", metavar="DURATION",
        help="Adds a delay between the time a test ends and the time cleanup starts")
    add("--deletion-propagation-policy", choices=["Foreground", "Background", "Orphan"],
        help='The deletion propagation policy (Foreground|Background|Orphan) (default "Background")')
    add("--report-format", help="Test report format (JSON, XML, JUNIT-TEST, JUNIT-STEP, JUNIT-OPERATION)")
    add("--report-name", help='The name of the report to create (default "chainsaw-report")')
    add("--report-path", help="The path of the report to create")
    add("--cluster", dest="clusters", action="extend", type=_list, default=[],
        help="Register cluster (format <cluster name>=<kubeconfig path>:[context name])")
    _bool_flag(parser, "pause-on-failure", "Pause test execution failure (implies no concurrency)")
    _bool_flag(parser, "no-cluster", "Runs without cluster")
    _bool_flag(parser, "embedded", "Run against an embedded cluster started for the run (chainsaw_py)")
    add("--selector", action="extend", type=_list, default=[], help="Selector (label query) to filter on")
    add("--values", action="extend", type=_list, default=[], help="Values passed to the tests")
    add("--set", dest="set_values", action="append", default=[], help="set values on the command line")
    add("--set-string", dest="set_string_values", action="append", default=[],
        help="set STRING values on the command line")
    add("--shard-index", type=int, default=0, help="Current shard index (if --shard-count > 0)")
    add("--shard-count", type=int, default=0, help="Number of shards")
    _bool_flag(parser, "no-color", "Removes output colors")
    _bool_flag(parser, "remarshal", "Remarshals tests yaml to apply anchors before parsing (always on)")
    _bool_flag(parser, "quiet", "Quiet mode - suppresses all output except errors, test failures, and summary")
    for flag, _, help_text in KUBE_FLAGS:
        add(f"--kube-{flag}", dest=f"kube_{flag.replace('-', '_')}", help=help_text)
    add("--kube-as-group", dest="kube_as_group", action="append", default=[],
        help="Group to impersonate for the operation, this flag can be repeated to specify multiple groups.")
    _bool_flag(parser, "kube-disable-compression", "If true, opt-out of response compression")
    _bool_flag(parser, "kube-insecure-skip-tls-verify", "If true, the server's certificate will not be checked")
    add("-n", "--kube-namespace", dest="kube_namespace", help="If present, the namespace scope for this CLI request")
    add("--sut-config", metavar="FILE", help="chainsaw_py's system-under-test file: processes to run alongside the "
        "suite, images mapped to local programs (default: .chainsaw-py.yaml next to the configuration)")
    add("--map-image", metavar="IMAGE=COMMAND", action="append", default=[], type=image_mapping,
        help="Embedded cluster: pods with this image (exact or glob) run COMMAND (split like a shell) as their "
        "entrypoint; repeatable")
    parser.set_defaults(handler=run)


def image_mapping(text: str) -> Any:
    import shlex

    from chainsaw_py.embedded.runtime.images import ImageProgram

    image, separator, command = text.partition("=")
    try:
        words = shlex.split(command)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{text!r}: {err}") from None
    if not separator or not image.strip() or not words:
        raise argparse.ArgumentTypeError(f"{text!r}: expected IMAGE=COMMAND")
    return ImageProgram(image.strip(), tuple(words))


def options_from(args: argparse.Namespace) -> Any:
    from chainsaw_py.api import TestOptions

    overrides = {key: getattr(args, f"kube_{key}") for _, key, _ in KUBE_FLAGS if getattr(args, f"kube_{key}")}
    if args.kube_as_group:
        overrides["as_group"] = args.kube_as_group
    for key in ("disable_compression", "insecure_skip_tls_verify"):
        if getattr(args, f"kube_{key}"):
            overrides[key] = True
    if args.kube_namespace:
        overrides["namespace"] = args.kube_namespace
    return TestOptions(
        test_dirs=[*args.test_dir, *args.paths], config=args.config, test_file=args.test_file,
        apply_timeout=args.apply_timeout, assert_timeout=args.assert_timeout, cleanup_timeout=args.cleanup_timeout,
        delete_timeout=args.delete_timeout, error_timeout=args.error_timeout, exec_timeout=args.exec_timeout,
        skip_delete=args.skip_delete, template=args.template, default_compiler=args.default_compiler,
        fail_fast=args.fail_fast, parallel=args.parallel, repeat_count=args.repeat_count,
        report_format=args.report_format, report_path=args.report_path, report_name=args.report_name,
        namespace=args.namespace, fast_namespace_deletion=args.fast_namespace_deletion,
        deletion_propagation_policy=args.deletion_propagation_policy, full_name=args.full_name,
        include_test_regex=args.include_test_regex, exclude_test_regex=args.exclude_test_regex,
        force_termination_grace_period=args.force_termination_grace_period, cleanup_delay=args.cleanup_delay,
        selector=args.selector, values=args.values, set_values=args.set_values,
        set_string_values=args.set_string_values, clusters=args.clusters, shard_index=args.shard_index,
        shard_count=args.shard_count, no_cluster=bool(args.no_cluster), embedded=bool(args.embedded),
        kubeconfig_overrides=overrides, pause_on_failure=bool(args.pause_on_failure), quiet=bool(args.quiet),
        no_color=bool(args.no_color), remarshal=bool(args.remarshal), sut_config=args.sut_config,
        images=list(args.map_image))


def run(args: argparse.Namespace) -> int:
    from chainsaw_py import api
    from chainsaw_py.errors import ChainsawError

    outcome = api.run(options_from(args))
    if outcome.interrupted:
        raise ChainsawError("interrupted")
    if outcome.summary.failed > 0:
        raise ChainsawError("some tests failed")
    return 0
