"""A pod's view of the file system: a private mount namespace in which its volumes are at their ``mountPath``.

Run as a launcher between the runtime and a container's program (or a command exec'd in the container)::

    python -S podview.py PLAN PARENT_PID PROGRAM ARG...

``PLAN`` is JSON: ``{"root": folder, "cwd": path, "userns": bool, "binds": [[source, target, read_only], ...],
"netns": descriptor}``. With ``netns`` (a descriptor of the pod's network namespace, inherited) the launcher first
joins that namespace (``netns.py``); without ``root`` it assembles no view.
The launcher enters a new mount namespace (and a user namespace mapping the caller's uid and gid to themselves
when it is not root), assembles the view under ``root`` — a tmpfs holding a bind of every entry of the host's
``/``, so the host's files stay where they are — binds each source at its target, chroots into the view, asks
for SIGKILL when ``PARENT_PID`` goes, and executes the program (searched on ``PATH`` inside the view).

A directory that must receive a new mount point is never created on the host: the host directory is replaced,
in the view only, by a tmpfs holding binds of its entries (a *shadow*), and the mount point is made there.
``--probe FOLDER [userns]`` checks that this works here (exit 0) — the runtime falls back to rewriting paths otherwise.

Standalone on purpose: it runs with ``python -S`` before the program and imports only the standard library.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
from typing import Any

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 1
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
PR_SET_PDEATHSIG = 1
_MAX_LINKS = 40

_libc = ctypes.CDLL(None, use_errno=True)


class ViewError(Exception):
    pass


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise ViewError(f"{what}: {os.strerror(error)}")


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(_libc.mount(source.encode(), target.encode(), fstype.encode() if fstype else None, flags,
                       data.encode() if data else None), f"mount {source} on {target}")


def _write(path: str, text: str) -> None:
    with open(path, "w") as out:
        out.write(text)


def enter_namespaces(userns: bool) -> None:
    """A new mount namespace whose mounts do not propagate back to the host."""
    if userns:
        uid, gid = os.getuid(), os.getgid()
        _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS), "unshare")
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
    else:
        _check(_libc.unshare(CLONE_NEWNS), "unshare")
    _mount("none", "/", None, MS_REC | MS_PRIVATE)


class View:
    """The view under construction: ``owned`` are the folders of the view's own tmpfs (anything else is a
    bind of the host or of a volume)."""

    def __init__(self, root: str) -> None:
        self.root = root.rstrip("/") or "/"
        self.owned: set[str] = {"/"}
        self.volumes: list[str] = []

    def real(self, path: str) -> str:
        return self.root + path if path != "/" else self.root

    def build(self) -> None:
        _mount("tmpfs", self.root, "tmpfs", 0, "mode=755")
        self._mirror("/", "/")
        _libc.umount2(self.real(self.root).encode(), 2)   # the view's copy of itself: no loop in the view

    def _mirror(self, host: str, inside: str) -> None:
        """Fill the (owned, empty) folder ``inside`` with binds of the entries of the host folder ``host``."""
        for name in sorted(os.listdir(host)):
            source = os.path.join(host, name)
            target = self.real(os.path.join(inside, name))
            if os.path.islink(source):
                os.symlink(os.readlink(source), target)
            elif os.path.isdir(source):
                os.mkdir(target)
                try:
                    _mount(source, target, None, MS_BIND | MS_REC)
                except ViewError:   # a mount the namespace may not copy (locked in a user namespace): left empty
                    pass
            else:
                open(target, "a").close()
                try:
                    _mount(source, target, None, MS_BIND)
                except ViewError:   # sockets and devices that cannot be bound: left out of the view
                    os.unlink(target)

    def resolve(self, path: str, create_last: str = "") -> str:
        """``path`` inside the view with symbolic links followed (within the view); missing folders are made
        (``create_last`` is ``"dir"`` or ``"file"`` for the last component, ``""`` not to create it)."""
        parts = [part for part in path.split("/") if part and part != "."]
        current, links = "/", 0
        while parts:
            name = parts.pop(0)
            if name == "..":
                current = os.path.dirname(current) or "/"
                continue
            candidate = os.path.join(current, name)
            real = self.real(candidate)
            if os.path.islink(real):
                links += 1
                if links > _MAX_LINKS:
                    raise ViewError(f"{path}: too many levels of symbolic links")
                link = os.readlink(real)
                parts = [p for p in link.split("/") if p and p != "."] + parts
                current = "/" if link.startswith("/") else current
                continue
            if not os.path.lexists(real):
                kind = "dir" if parts else create_last
                if not kind:
                    return candidate
                self._make(current, candidate, kind)
            current = candidate
        return current

    def _make(self, parent: str, path: str, kind: str) -> None:
        if parent not in self.owned and not self._inside_volume(parent):
            self._shadow(parent)
        if kind == "dir":
            os.mkdir(self.real(path))
            if parent in self.owned:
                self.owned.add(path)
        else:
            open(self.real(path), "a").close()

    def _inside_volume(self, path: str) -> bool:
        return any(path == target or path.startswith(target + "/") for target in self.volumes)

    def _shadow(self, folder: str) -> None:
        """Replace the bind of the host folder ``folder`` by an owned tmpfs holding binds of its entries."""
        import tempfile  # only here: the launcher starts faster without it

        real = self.real(folder)
        host = tempfile.mkdtemp(prefix="podview-", dir=os.path.dirname(self.root))
        try:
            _mount(real, host, None, MS_BIND | MS_REC)      # keep a handle on the host folder's content
            _mount("tmpfs", real, "tmpfs", 0, "mode=755")
            self.owned.add(folder)
            self._mirror(host, folder)
        finally:
            _libc.umount2(host.encode(), 2)                  # MNT_DETACH: the binds made from it stay
            os.rmdir(host)

    def bind(self, source: str, target: str, read_only: bool) -> None:
        kind = "dir" if os.path.isdir(source) else "file"
        inside = self.resolve(target, kind)
        real = self.real(inside)
        _mount(source, real, None, MS_BIND | MS_REC)
        if read_only:
            try:
                _mount("none", real, None, MS_BIND | MS_REMOUNT | MS_RDONLY)
            except ViewError:
                pass   # a read-only remount refused (nested mounts): the mount stays writable
        self.volumes.append(inside)


def join_network(plan: dict[str, Any]) -> None:
    """Enter the pod's network namespace when the plan names one."""
    fd = plan.get("netns")
    if fd is None:
        return
    _check(_libc.setns(int(fd), CLONE_NEWNET), "setns(network)")
    os.close(int(fd))


def assemble(plan: dict[str, Any]) -> None:
    """Enter the namespaces, build the view described by ``plan`` and chroot into it."""
    enter_namespaces(bool(plan.get("userns")))
    view = View(str(plan["root"]))
    view.build()
    binds = [(str(source), str(target), bool(read_only)) for source, target, read_only in plan.get("binds", [])]
    for source, target, read_only in sorted(binds, key=lambda bind: len(bind[1].rstrip("/").split("/"))):
        view.bind(source, target, read_only)
    cwd = view.resolve(str(plan.get("cwd") or "/"), "dir")   # like runc, a missing working folder is made
    os.chroot(view.root)
    os.chdir(cwd)


def probe(folder: str, userns: bool) -> int:
    """0 when a view can be assembled here, tried in the empty ``folder`` (the caller removes it)."""
    try:
        source = os.path.join(folder, "source")
        os.mkdir(source)
        _write(os.path.join(source, "file"), "ok")
        root = os.path.join(folder, "root")
        os.mkdir(root)
        assemble({"root": root, "cwd": "/", "userns": userns,
                  "binds": [[source, "/chainsaw-py-probe/volume", True]]})
        with open("/chainsaw-py-probe/volume/file") as check:
            return 0 if check.read() == "ok" else 1
    except (OSError, ViewError):
        return 1


def main(argv: list[str]) -> int:
    if argv[1:2] == ["--probe"]:
        return probe(argv[2], argv[3:4] == ["userns"])
    plan, parent, program = json.loads(argv[1]), int(argv[2]), argv[3:]
    try:
        join_network(plan)
    except (OSError, ViewError) as err:
        sys.stderr.write(f"chainsaw_py: cannot enter the pod's network: {err}\n")
        return 128
    try:
        if plan.get("root"):
            assemble(plan)
    except (OSError, ViewError) as err:
        sys.stderr.write(f"chainsaw_py: cannot assemble the pod's file system view: {err}\n")
        return 128
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        return 137
    try:
        os.execvp(program[0], program)
    except OSError as err:
        sys.stderr.write(f'exec: "{program[0]}": {err.strerror or err}\n')
        return 127
    return 0   # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv))
