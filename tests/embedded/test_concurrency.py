"""Optimistic concurrency under contention: writers see 409 Conflicts and no update is lost."""

from __future__ import annotations

import threading
from typing import Any

THREADS = 8
INCREMENTS = 25


def test_concurrent_read_modify_write_loses_no_update(api_client: Any, namespace: str) -> None:
    from kubernetes import client

    core = client.CoreV1Api(api_client)
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "counter"}, "data": {"value": "0"}})
    conflicts = [0] * THREADS
    errors: list[BaseException] = []

    def writer(index: int) -> None:
        try:
            for _ in range(INCREMENTS):
                while True:
                    current = core.read_namespaced_config_map("counter", namespace)
                    current.data["value"] = str(int(current.data["value"]) + 1)
                    try:
                        core.replace_namespaced_config_map("counter", namespace, current)
                        break
                    except client.ApiException as err:
                        assert err.status == 409 and '"reason":"Conflict"' in err.body
                        conflicts[index] += 1
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=writer, args=(index,)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    final = core.read_namespaced_config_map("counter", namespace)
    assert final.data["value"] == str(THREADS * INCREMENTS)
    assert sum(conflicts) > 0


def test_concurrent_merge_patches_all_apply(api_client: Any, namespace: str) -> None:
    from kubernetes import client

    core = client.CoreV1Api(api_client)
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "keys"}, "data": {}})

    def patcher(index: int) -> None:
        for step in range(10):
            core.patch_namespaced_config_map("keys", namespace, {"data": {f"k{index}-{step}": "x"}})

    threads = [threading.Thread(target=patcher, args=(index,)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    data = core.read_namespaced_config_map("keys", namespace).data
    assert len(data) == THREADS * 10
