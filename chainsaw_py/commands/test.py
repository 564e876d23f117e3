"""``chainsaw-py test``: run tests, with the flags of Chainsaw's ``test`` command (upstream
``pkg/commands/test/command.go``)."""

from __future__ import annotations

from typing import Any

from chainsaw_py.commands.tree import Arguments, Command

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
    ("request-timeout", "request_timeout",
     "The length of time to wait before giving up on a single server request. Non-zero values should contain a "
     "corresponding time unit (e.g. 1s, 2m, 3h). A value of zero means don't timeout requests."),
    ("server", "server", "The address and port of the Kubernetes API server"),
    ("tls-server-name", "tls_server_name",
     "If provided, this name will be used to validate server certificate. If this is not provided, hostname used "
     "to contact the server is used."),
    ("token", "token", "Bearer token for authentication to the API server"),
    ("user", "user", "The name of the kubeconfig user to use"),
    ("username", "username", "Username for basic authentication to the API server"),
)
TIMEOUTS: tuple[tuple[str, str], ...] = (("apply", "5s"), ("assert", "30s"), ("cleanup", "30s"),
                                         ("delete", "15s"), ("error", "30s"), ("exec", "5s"))
LIST_FLAGS = ("report-format",)
"""Flags whose value may list several choices, separated by commas (a chainsaw_py extension)."""
SET_USAGE = "values on the command line (can specify multiple or separate values with commas: key1=val1,key2=val2)"


def add_kube_flags(command: Command) -> None:
    """client-go's ``BindOverrideFlags`` with the ``kube-`` prefix, as Chainsaw binds them."""
    for name, key, usage in KUBE_FLAGS:
        shown = "0" if name == "request-timeout" else None
        command.flag(f"kube-{name}", "string", usage, dest=f"kube_{key}", default_text=shown)
    command.flag("kube-as-group", "stringArray",
                 "Group to impersonate for the operation, this flag can be repeated to specify multiple groups.",
                 value=[])
    command.flag("kube-disable-compression", "bool",
                 "If true, opt-out of response compression for all requests to the server")
    command.flag("kube-insecure-skip-tls-verify", "bool", "If true, the server's certificate will not be checked "
                 "for validity. This will make your HTTPS connections insecure")
    command.flag("kube-namespace", "string", "If present, the namespace scope for this CLI request", shorthand="n")


def command() -> Command:
    """Chainsaw's ``test`` flags. A flag not given is None, so the configuration file's value stands (Chainsaw
    overrides the configuration only with flags that were set)."""
    test = Command("test [flags]... [test directories]...", "Run tests", run=run)
    flag = test.flag
    flag("config", "string", "Chainsaw configuration file")
    flag("test-dir", "strings", "Directories containing test cases to run", value=[])
    for name, default in TIMEOUTS:
        flag(f"{name}-timeout", "duration", f"The {name} timeout to use as default for configuration",
             default_text=default)
    flag("test-file", "string", "Name of the test file", default_text="chainsaw-test")
    flag("full-name", "bool", "Use full test case folder path instead of folder name")
    flag("include-test-regex", "string", "Regular expression to include tests")
    flag("exclude-test-regex", "string", "Regular expression to exclude tests")
    flag("fail-fast", "bool", "Stop the test upon encountering the first failure")
    flag("parallel", "int", "The maximum number of tests to run at once")
    flag("repeat-count", "int", "Number of times to repeat each test", default_text="1")
    flag("force-termination-grace-period", "duration",
         "If specified, overrides termination grace periods in applicable resources")
    flag("namespace", "string", "Namespace to use for tests")
    flag("fast-namespace-deletion", "bool", "Skips waiting for namespace deletion")
    flag("template", "bool", "If set, resources will be considered for templating", default_text="true")
    flag("default-compiler", "string", "If set, configures the default compiler (jp or cel)",
         choices=("jp", "cel", "jsonpath"))
    flag("skip-delete", "bool", "If set, do not delete the resources after running the tests")
    flag("cleanup-delay", "duration", "Adds a delay between the time a test ends and the time cleanup starts")
    flag("deletion-propagation-policy", "string", "The deletion propagation policy (Foreground|Background|Orphan)",
         default_text="Background", choices=("Foreground", "Background", "Orphan"))
    # Chainsaw's help text, kept byte-identical; HTML and comma lists are documented in docs/runner.md
    flag("report-format", "string", "Test report format (JSON, XML, JUNIT-TEST, JUNIT-STEP, JUNIT-OPERATION)",
         choices=("JSON", "XML", "JUNIT-TEST", "JUNIT-STEP", "JUNIT-OPERATION", "HTML"))
    flag("report-name", "string", "The name of the report to create", default_text="chainsaw-report")
    flag("report-path", "string", "The path of the report to create", dirname=True)
    flag("cluster", "strings", "Register cluster (format <cluster name>=<kubeconfig path>:[context name])",
         dest="clusters", value=[])
    flag("pause-on-failure", "bool", "Pause test execution failure (implies no concurrency)")
    flag("no-cluster", "bool", "Runs without cluster")
    flag("embedded", "bool", "Run against an embedded cluster started for the run (chainsaw_py)")
    flag("selector", "strings", "Selector (label query) to filter on", value=[])
    flag("values", "strings", "Values passed to the tests", value=[])
    flag("set", "stringArray", f"set {SET_USAGE}", dest="set_values", value=[])
    flag("set-string", "stringArray", f"set STRING {SET_USAGE}", dest="set_string_values", value=[])
    flag("shard-index", "int", "Current shard index (if `--shard-count` > 0)", value=0)
    flag("shard-count", "int", "Number of shards", value=0)
    flag("no-color", "bool", "Removes output colors")
    flag("remarshal", "bool", "Remarshals tests yaml to apply anchors before parsing")
    flag("quiet", "bool", "Quiet mode - suppresses all output except errors, test failures, and summary")
    add_kube_flags(test)
    add_sut_flags(test, processes=True)
    return test


def add_sut_flags(command: Command, processes: bool) -> None:
    """chainsaw_py's system-under-test flags (upstream Chainsaw has none)."""
    if processes:
        command.flag("sut-config", "string", "chainsaw_py's system-under-test file: processes to run alongside the "
                     "suite, images mapped to local programs (default: .chainsaw-py.yaml next to the configuration)")
    else:
        command.flag("sut-config", "string",
                     "Read image mappings from a .chainsaw-py.yaml file (its processes are not run here)")
    command.flag("map-image", "stringArray", "Embedded cluster: pods with this image (exact or glob) run COMMAND "
                 "(IMAGE=COMMAND, split like a shell) as their entrypoint; repeatable", value=[])


def image_mapping(text: str) -> Any:
    """One ``--map-image IMAGE=COMMAND``; a malformed one is a one-line error."""
    import shlex

    from chainsaw_py.embedded.runtime.images import ImageProgram
    from chainsaw_py.errors import ChainsawError

    image, separator, command = text.partition("=")
    try:
        words = shlex.split(command)
    except ValueError as err:
        raise ChainsawError(f'invalid value "{text}" for --map-image: {err}') from None
    if not separator or not image.strip() or not words:
        raise ChainsawError(f'invalid value "{text}" for --map-image: expected IMAGE=COMMAND')
    return ImageProgram(image.strip(), tuple(words))


def options_from(args: Arguments) -> Any:
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
        test_dirs=[*args.test_dir, *args.args], config=args.config, test_file=args.test_file,
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
        no_color=bool(args.no_color), force_color=True, remarshal=bool(args.remarshal), sut_config=args.sut_config,
        images=[image_mapping(text) for text in args.map_image])


def _check_choices(args: Arguments) -> None:
    """A value Chainsaw would only trip over later (or never) is refused at once, in one line."""
    from chainsaw_py.errors import ChainsawError

    for flag in args.command.flags.flags:
        value = getattr(args, flag.dest, None)
        values = value.split(",") if flag.name in LIST_FLAGS and isinstance(value, str) else [value]
        if flag.choices and flag.name in args.changed and any(item not in flag.choices for item in values):
            raise ChainsawError(f'invalid value "{value}" for --{flag.name}: expected one of '
                                f"{', '.join(flag.choices)}")


def run(args: Arguments) -> int:
    import gc

    from chainsaw_py import api
    from chainsaw_py.errors import ChainsawError

    gc.freeze()
    _check_choices(args)
    outcome = api.run(options_from(args))
    if outcome.interrupted:
        raise ChainsawError("interrupted")
    if outcome.summary.failed > 0:
        raise ChainsawError("some tests failed")
    return 0
