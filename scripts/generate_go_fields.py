"""Generate ``chainsaw_py/embedded/data/go_fields.json``: how Go's encoding/json writes each built-in API field.

kube-apiserver decodes every built-in object into its Go struct and encodes it again, so what a client reads
back follows the struct declarations: a field without ``omitempty`` is always written (a nil slice or map as
``null``, a struct as ``{}`` filled the same way, ``metav1.Time`` as ``null``), and an ``omitempty`` field at
its zero value is dropped. The OpenAPI definitions cannot tell these apart, so this script reads the field
declarations of the API packages (``type X struct`` blocks, their json tags and field types) and records, per
OpenAPI definition name, each JSON field's shape. It derives data from the declarations; no code is copied.

Usage (the repositories are plain git clones; ``--ref`` is the tag read in each, the Kubernetes minor the
embedded server reports)::

    python scripts/generate_go_fields.py --ref v0.32.9 \\
        --api ~/src/kubernetes/api --apimachinery ~/src/kubernetes/apimachinery \\
        --apiextensions ~/src/kubernetes/apiextensions-apiserver --aggregator ~/src/kubernetes/kube-aggregator

The data file was generated from the ``v0.32.9`` tags (Kubernetes 1.32.9) of kubernetes/api,
kubernetes/apimachinery, kubernetes/apiextensions-apiserver and kubernetes/kube-aggregator.

Fields are listed in declaration order. Each field is ``[shape, target, omitempty]``: ``shape`` is one of ``bool int float string bytes ptr slice map
struct opaque any``; ``target`` names the definition a ``struct``/``ptr``/``slice``/``map`` field leads to
(its element or value struct, "" when none), or for ``opaque`` (a type with its own ``MarshalJSON``) the JSON
its zero value encodes to, as its ``MarshalJSON`` method writes it (``ZERO_ENCODINGS``).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

# import path -> (repository key, folder in the repository, OpenAPI definition prefix)
API_GROUPS = ("admissionregistration", "apiserverinternal", "apps", "authentication", "authorization",
              "autoscaling", "batch", "certificates", "coordination", "core", "discovery", "events",
              "flowcontrol", "networking", "node", "policy", "rbac", "resource", "scheduling", "storage",
              "storagemigration")
MACHINERY = {
    "k8s.io/apimachinery/pkg/apis/meta/v1": ("apimachinery", "pkg/apis/meta/v1", "io.k8s.apimachinery.pkg.apis.meta.v1"),
    "k8s.io/apimachinery/pkg/api/resource": ("apimachinery", "pkg/api/resource", "io.k8s.apimachinery.pkg.api.resource"),
    "k8s.io/apimachinery/pkg/util/intstr": ("apimachinery", "pkg/util/intstr", "io.k8s.apimachinery.pkg.util.intstr"),
    "k8s.io/apimachinery/pkg/runtime": ("apimachinery", "pkg/runtime", "io.k8s.apimachinery.pkg.runtime"),
    "k8s.io/apimachinery/pkg/types": ("apimachinery", "pkg/types", "io.k8s.apimachinery.pkg.types"),
    "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1": (
        "apiextensions", "pkg/apis/apiextensions/v1", "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1"),
    "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1": (
        "aggregator", "pkg/apis/apiregistration/v1", "io.k8s.kube-aggregator.pkg.apis.apiregistration.v1"),
}
# What the zero value of each type with its own MarshalJSON encodes to (read from those methods: Time and
# MicroTime write null when zero, Quantity "0", IntOrString its Type's zero (Int) 0, Duration time.Duration(0)'s
# String "0s", RawExtension and FieldsV1 null for a nil Raw).
ZERO_ENCODINGS = {
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time": None,
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": None,
    "io.k8s.apimachinery.pkg.apis.meta.v1.Duration": "0s",
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1": None,
    "io.k8s.apimachinery.pkg.api.resource.Quantity": "0",
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": 0,
    "io.k8s.apimachinery.pkg.runtime.RawExtension": None,
}
_SCALARS = {"bool": "bool", "string": "string", "float32": "float", "float64": "float", "byte": "int"}
_SCALARS.update(dict.fromkeys(("int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64"), "int"))
_TYPE_DECL = re.compile(r"^type\s+(\w+)\s+(.*)$")
_IMPORT = re.compile(r'^\s*(?:(\w+)\s+)?"([^"]+)"')
_MARSHALER = re.compile(r"^func\s+\(\w+\s+\*?(\w+)\)\s+MarshalJSON\(")


@dataclass
class GoField:
    json_name: str
    type_expr: str
    omitempty: bool
    inline: bool


@dataclass
class Package:
    prefix: str
    structs: dict[str, list[GoField]] = field(default_factory=dict)
    named: dict[str, str] = field(default_factory=dict)   # type Name <underlying expression>
    marshalers: set[str] = field(default_factory=set)
    imports: dict[str, dict[str, str]] = field(default_factory=dict)   # type name -> its file's imports


def package_sources(repos: dict[str, Path], ref: str) -> dict[str, tuple[str, str, str]]:
    sources = dict(MACHINERY)
    for group in API_GROUPS:
        listing = git(repos["api"], "ls-tree", "-d", "--name-only", f"{ref}:{group}").split()
        for version in listing:
            sources[f"k8s.io/api/{group}/{version}"] = ("api", f"{group}/{version}", f"io.k8s.api.{group}.{version}")
    return sources


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def load_package(repo: Path, ref: str, folder: str, prefix: str) -> Package:
    package = Package(prefix)
    for name in git(repo, "ls-tree", "--name-only", f"{ref}:{folder}").split():
        if name.endswith(".go") and not name.endswith("_test.go") and not name.startswith(("zz_generated",
                                                                                            "generated.")):
            parse_file(git(repo, "show", f"{ref}:{folder}/{name}"), package)
    return package


def parse_file(source: str, package: Package) -> None:
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    lines = [strip_comment(line) for line in source.splitlines()]
    imports = parse_imports(lines)
    index = 0
    while index < len(lines):
        line = lines[index].strip()
        marshaler = _MARSHALER.match(line)
        if marshaler:
            package.marshalers.add(marshaler.group(1))
        declared = _TYPE_DECL.match(line)
        if declared and declared.group(2).startswith("struct"):
            index = parse_struct(lines, index, declared.group(1), package)
            package.imports[declared.group(1)] = imports
            continue
        if declared and not declared.group(2).startswith(("interface", "func")):
            package.named[declared.group(1)] = declared.group(2).removeprefix("=").strip()
            package.imports[declared.group(1)] = imports
        index += 1


def strip_comment(line: str) -> str:
    stripped = line.strip()
    if stripped.startswith("//"):
        return ""
    if "`" in stripped:
        cut = stripped.rindex("`")
        return stripped[:cut + 1] + stripped[cut + 1:].split("//", 1)[0].rstrip()
    return stripped.split("//", 1)[0].rstrip()


def parse_imports(lines: list[str]) -> dict[str, str]:
    imports: dict[str, str] = {}
    inside = False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("import ("):
            inside = True
            continue
        if inside and stripped == ")":
            break
        if inside or stripped.startswith("import "):
            found = _IMPORT.match(stripped.removeprefix("import "))
            if found:
                path = found.group(2)
                imports[found.group(1) or path.rsplit("/", 1)[-1]] = path
    return imports


def parse_struct(lines: list[str], index: int, name: str, package: Package) -> int:
    fields: list[GoField] = []
    depth = lines[index].count("{") - lines[index].count("}")
    index += 1
    while index < len(lines) and depth > 0:
        line = lines[index]
        depth += line.count("{") - line.count("}")
        if depth == 1 and line and line != "}":
            parsed = parse_field(line)
            if parsed is not None:
                fields.append(parsed)
        index += 1
    package.structs[name] = fields
    return index


def parse_field(line: str) -> GoField | None:
    tag_text = line[line.index("`") + 1:line.rindex("`")] if "`" in line else ""
    declaration = line.split("`", 1)[0].strip()
    parts = declaration.split()
    if len(parts) == 1:   # an embedded field: encoding/json inlines it unless a json name is given
        names, type_expr = [], parts[0]
    else:
        names, type_expr = [parts[0].rstrip(",")], " ".join(parts[1:])
    json_tag = re.search(r'json:"([^"]*)"', tag_text)
    options = (json_tag.group(1) if json_tag else "").split(",")
    if options[0] == "-" and len(options) == 1:
        return None
    if names and not names[0][:1].isupper():
        return None
    json_name = options[0] or (names[0] if names else "")
    inline = (not names and not options[0]) or "inline" in options[1:]
    return GoField(json_name, type_expr, "omitempty" in options[1:], inline)


class Resolver:
    def __init__(self, repos: dict[str, Path], ref: str) -> None:
        self.repos, self.ref = repos, ref
        self.sources = package_sources(repos, ref)
        self.packages: dict[str, Package] = {}

    def package(self, path: str) -> Package | None:
        if path not in self.sources:
            return None
        if path not in self.packages:
            repo, folder, prefix = self.sources[path]
            self.packages[path] = load_package(self.repos[repo], self.ref, folder, prefix)
        return self.packages[path]

    def shape(self, package: Package, owner: str, type_expr: str, depth: int = 0) -> tuple[str, str]:
        """(shape, target) of a type expression as written in ``owner``'s file of ``package``."""
        expr = type_expr.strip()
        if expr.startswith("*"):
            return "ptr", self.element_target(package, owner, expr[1:], depth)
        if expr == "[]byte":
            return "bytes", ""
        if expr.startswith("[]"):
            return "slice", self.element_target(package, owner, expr[2:], depth)
        if expr.startswith("map["):
            return "map", self.element_target(package, owner, expr[expr.index("]") + 1:], depth)
        if expr in _SCALARS:
            return _SCALARS[expr], ""
        if expr.startswith("interface") or expr == "any":
            return "any", ""
        target_package, name = self.locate(package, owner, expr)
        if target_package is None:
            return "any", ""
        definition = f"{target_package.prefix}.{name}"
        if name in target_package.marshalers:
            return "opaque", json.dumps(ZERO_ENCODINGS[definition]) if definition in ZERO_ENCODINGS else ""
        if name in target_package.structs:
            return "struct", definition
        if name in target_package.named and depth < 8:
            return self.shape(target_package, name, target_package.named[name], depth + 1)
        return "any", ""

    def element_target(self, package: Package, owner: str, expr: str, depth: int) -> str:
        shape, target = self.shape(package, owner, expr, depth + 1)
        return target if shape in ("struct", "ptr", "slice", "map") else ""

    def locate(self, package: Package, owner: str, expr: str) -> tuple[Package | None, str]:
        if "." not in expr:
            return package, expr
        alias, name = expr.split(".", 1)
        path = package.imports.get(owner, {}).get(alias, "")
        return self.package(path), name

    def fields_of(self, package: Package, name: str, depth: int = 0) -> dict[str, list[object]]:
        table: dict[str, list[object]] = {}
        for go_field in package.structs.get(name, []):
            if go_field.inline and depth < 8:
                table.update(self.inlined(package, name, go_field.type_expr.lstrip("*"), depth))
                continue
            shape, target = self.shape(package, name, go_field.type_expr)
            table[go_field.json_name] = [shape, target, int(go_field.omitempty)]
        return table


    def inlined(self, package: Package, owner: str, expr: str, depth: int) -> dict[str, list[object]]:
        """The fields an embedded (``inline``) struct contributes, through type aliases and named types."""
        inner_package, inner = self.locate(package, owner, expr)
        if inner_package is None:
            return {}
        if inner in inner_package.structs:
            return self.fields_of(inner_package, inner, depth + 1)
        if inner in inner_package.named and depth < 8:
            return self.inlined(inner_package, inner, inner_package.named[inner], depth + 1)
        return {}


def generate(repos: dict[str, Path], ref: str) -> dict[str, dict[str, list[object]]]:
    resolver = Resolver(repos, ref)
    table: dict[str, dict[str, list[object]]] = {}
    for path in sorted(resolver.sources):
        package = resolver.package(path)
        assert package is not None
        for name in sorted(package.structs):
            if name not in package.marshalers:
                table[f"{package.prefix}.{name}"] = resolver.fields_of(package, name)
        for name in sorted(package.named):   # type X otherpkg.Struct: X encodes as that struct
            shape, _target = resolver.shape(package, name, package.named[name])
            if shape == "struct" and name not in package.marshalers:
                table[f"{package.prefix}.{name}"] = resolver.inlined(package, name, package.named[name], 0)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--ref", default="v0.32.9")
    for key in ("api", "apimachinery", "apiextensions", "aggregator"):
        parser.add_argument(f"--{key}", type=Path, required=True)
    parser.add_argument("--output", type=Path,
                        default=Path(__file__).resolve().parent.parent / "chainsaw_py/embedded/data/go_fields.json")
    args = parser.parse_args()
    repos = {key: getattr(args, key) for key in ("api", "apimachinery", "apiextensions", "aggregator")}
    table = generate(repos, args.ref)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    # Definitions sorted, fields in declaration order (the order encoding/json writes them in).
    ordered = {name: table[name] for name in sorted(table)}
    args.output.write_text(json.dumps({"ref": args.ref, "definitions": ordered}, separators=(",", ":")) + "\n",
                           encoding="utf-8")
    print(f"{len(table)} definitions written to {args.output}")


if __name__ == "__main__":
    main()
