"""Which container images run as local programs: an image reference (exact, or a glob such as
``ghcr.io/acme/operator:*``) mapped to the program that stands for the image's entrypoint."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ImageProgram:
    """``image`` (exact or glob) runs ``entrypoint`` (the image's ENTRYPOINT; a container's ``command``
    replaces it, its ``args`` replace ``args``), in ``working_dir`` (the image's WORKDIR, used when the
    container has no ``workingDir``), with ``env`` (the image's ENV, under the container's own)."""

    image: str
    entrypoint: tuple[str, ...]
    args: tuple[str, ...] = ()
    working_dir: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)

    def matches(self, image: str) -> bool:
        candidates = {image, normalized_image(image)}
        if any(char in self.image for char in "*?["):
            return any(fnmatch.fnmatchcase(candidate, self.image) for candidate in candidates)
        return self.image in candidates or normalized_image(self.image) in candidates


class ImageMap:
    """The mappings in the order given: the first that matches wins."""

    def __init__(self, programs: Iterable[ImageProgram] = ()) -> None:
        self._programs: list[ImageProgram] = list(programs)

    def add(self, program: ImageProgram) -> None:
        self._programs.append(program)

    def lookup(self, image: str) -> ImageProgram | None:
        for program in self._programs:
            if program.matches(image):
                return program
        return None

    def __bool__(self) -> bool:
        return bool(self._programs)

    def __len__(self) -> int:
        return len(self._programs)


def normalized_image(image: str) -> str:
    """What the kubelet reports: ``nginx`` -> ``docker.io/library/nginx:latest``."""
    name, digest = (image.split("@", 1) + [""])[:2]
    first = name.split("/", 1)[0]
    if "/" not in name or ("." not in first and ":" not in first and first != "localhost"):
        name = "docker.io/" + (name if "/" in name else f"library/{name}")
    if not digest and ":" not in name.rsplit("/", 1)[-1]:
        name += ":latest"
    return f"{name}@{digest}" if digest else name
