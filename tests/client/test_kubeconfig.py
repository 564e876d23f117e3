"""Kubeconfig loading rules, ``--kube-*`` overrides and the single-context kubeconfig for scripts."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
import yaml

from chainsaw_py.client.kubeconfig import has_default_kubeconfig, load_selection
from chainsaw_py.errors import ChainsawError


def write_config(path: Path, *, current: str = "one", server: str = "https://one:6443",
                 extra_contexts: tuple[str, ...] = ()) -> Path:
    contexts = [{"name": "one", "context": {"cluster": "c1", "user": "u1", "namespace": "team"}}]
    contexts += [{"name": name, "context": {"cluster": "c2", "user": "u2"}} for name in extra_contexts]
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": current,
        "clusters": [{"name": "c1", "cluster": {"server": server, "certificate-authority": "ca.crt"}},
                     {"name": "c2", "cluster": {"server": "https://two:6443"}}],
        "users": [{"name": "u1", "user": {"token": "secret-one"}}, {"name": "u2", "user": {"tokenFile": "tok"}}],
        "contexts": contexts,
    }))
    (path.parent / "ca.crt").write_bytes(b"CA-BYTES")
    (path.parent / "tok").write_text("token-from-file\n")
    return path


def test_current_context_with_files_inlined(tmp_path: Path) -> None:
    selection = load_selection(write_config(tmp_path / "config"))
    assert selection.server == "https://one:6443"
    assert selection.namespace == "team"
    assert base64.b64decode(selection.cluster["certificate-authority-data"]) == b"CA-BYTES"
    assert "certificate-authority" not in selection.cluster
    assert selection.user == {"token": "secret-one"}


def test_explicit_context_and_token_file(tmp_path: Path) -> None:
    selection = load_selection(write_config(tmp_path / "config", extra_contexts=("two",)), context="two")
    assert selection.server == "https://two:6443"
    assert selection.user == {"token": "token-from-file"}
    assert selection.namespace == ""


@pytest.mark.parametrize(("overrides", "cluster_keys", "user"), [
    ({"server": "https://other:1"}, {"server": "https://other:1"}, {"token": "secret-one"}),
    ({"token": "t2"}, {}, {"token": "t2"}),
    ({"insecure_skip_tls_verify": True}, {"insecure-skip-tls-verify": True}, {"token": "secret-one"}),
    ({"as": "jane", "as_group": ["g1", "g2"]}, {}, {"token": "secret-one", "as": "jane", "as-groups": ["g1", "g2"]}),
    ({"username": "u", "password": "p"}, {}, {"token": "secret-one", "username": "u", "password": "p"}),
])
def test_kube_flag_overrides(tmp_path: Path, overrides: dict[str, object], cluster_keys: dict[str, object],
                             user: dict[str, object]) -> None:
    selection = load_selection(write_config(tmp_path / "config"), overrides=overrides)
    for key, expected in cluster_keys.items():
        assert selection.cluster[key] == expected
    if overrides.get("insecure_skip_tls_verify"):
        assert "certificate-authority-data" not in selection.cluster
    assert selection.user == user


def test_namespace_override(tmp_path: Path) -> None:
    assert load_selection(write_config(tmp_path / "config"), overrides={"namespace": "x"}).namespace == "x"


def test_kubeconfig_env_list_first_file_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_config(tmp_path / "a" / "config", server="https://first:1")
    second = write_config(tmp_path / "b" / "config", current="two", server="https://second:1", extra_contexts=("two",))
    monkeypatch.setenv("KUBECONFIG", f"{first}:{second}")
    assert has_default_kubeconfig()
    selection = load_selection()
    assert selection.server == "https://first:1"  # current-context and c1 come from the first file


def test_an_explicit_search_list_replaces_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``TestOptions.kubeconfig`` (the pytest plugin's ``--chainsaw-kubeconfig``): read in place of ``$KUBECONFIG``,
    with its rules (a path list), and the environment is not touched."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    from_env = write_config(tmp_path / "a" / "config", server="https://from-env:1")
    given = write_config(tmp_path / "b" / "config", server="https://given:1")
    monkeypatch.setenv("KUBECONFIG", str(from_env))
    assert load_selection(search=f"{tmp_path / 'missing'}:{given}").server == "https://given:1"
    assert has_default_kubeconfig(str(given)) and not has_default_kubeconfig(str(tmp_path / "missing"))
    assert load_selection().server == "https://from-env:1"


def test_missing_files_and_contexts_are_one_line_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ChainsawError, match="no such file or directory"):
        load_selection(tmp_path / "nope")
    with pytest.raises(ChainsawError, match='context "zz" does not exist'):
        load_selection(write_config(tmp_path / "config"), context="zz")
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))
    assert not has_default_kubeconfig()
    with pytest.raises(ChainsawError, match="no configuration has been provided"):
        load_selection()


def test_single_context_kubeconfig_for_scripts(tmp_path: Path) -> None:
    selection = load_selection(write_config(tmp_path / "config"))
    target = tmp_path / "out"
    selection.write(target)
    written = yaml.safe_load(target.read_text())
    assert written["current-context"] == "chainsaw"
    assert [c["name"] for c in written["clusters"]] == ["chainsaw"]
    assert written["contexts"][0]["context"] == {"cluster": "chainsaw", "user": "chainsaw", "namespace": "team"}
    assert written["users"][0]["user"] == {"token": "secret-one"}
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
