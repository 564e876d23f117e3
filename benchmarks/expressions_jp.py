"""Speed of JMESPath evaluation and templating, with the plain ``jmespath`` package as a yardstick.

    python benchmarks/expressions_jp.py

Prints microseconds per call; no assertions (the figures depend on the machine).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "chainsaw-x", "labels": {"app": "web"}},
    "spec": {"replicas": 3, "template": {"spec": {"containers": [
        {"name": f"c{i}", "image": f"nginx:1.{i}", "ports": [{"containerPort": 8000 + i}]} for i in range(10)]}}},
    "status": {"readyReplicas": 3, "conditions": [{"type": "Available", "status": "True"}]},
}
EXPRESSIONS = [
    "metadata.name",
    "spec.template.spec.containers[?name == 'c3'].image | [0]",
    "length(spec.template.spec.containers)",
    "status.readyReplicas == spec.replicas",
    "join('-', [$namespace, metadata.name])",
    "spec.replicas + `1`",
    "sort_by(spec.template.spec.containers, &name)[-1].name",
]


def _per_call(function: Callable[[], Any], rounds: int = 2000) -> float:
    function()
    start = time.perf_counter()
    for _ in range(rounds):
        function()
    return (time.perf_counter() - start) / rounds * 1e6


def main() -> None:
    import jmespath

    from chainsaw_py.expressions import Bindings, evaluate, template

    bindings = Bindings().register("namespace", "chainsaw-x")
    print(f"{'expression':60} {'chainsaw_py µs':>15} {'jmespath µs':>12}")
    for expression in EXPRESSIONS:
        ours = _per_call(lambda e=expression: evaluate(e, DEPLOYMENT, bindings))
        plain_expression = expression.replace("$namespace", "'chainsaw-x'").replace(" + `1`", "")
        plain = _per_call(lambda e=plain_expression: jmespath.search(e, DEPLOYMENT))
        print(f"{expression:60} {ours:15.1f} {plain:12.1f}")
    resource = {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "(join('-', ['cm', $namespace]))", "namespace": "($namespace)"},
                "data": {f"key{i}": f"(to_string(`{i}` * `2`))" for i in range(20)}}
    print(f"template a ConfigMap with 22 expressions: {_per_call(lambda: template(resource, resource, bindings), 500):.0f} µs")
    deep = Bindings()
    for index in range(50):
        deep = deep.register(f"b{index}", index)
    print(f"resolve through 50 scopes: {_per_call(lambda: deep.resolve('b0')):.2f} µs")
    print(f"cel evaluate (compiled, cached): "
          f"{_per_call(lambda: evaluate('object.spec.replicas > 2', DEPLOYMENT, bindings, 'cel')):.1f} µs")
    print(f"jsonpath evaluate (cached): "
          f"{_per_call(lambda: evaluate('$.spec.template.spec.containers[*].image', DEPLOYMENT, bindings, 'jsonpath')):.1f} µs")


if __name__ == "__main__":
    main()
