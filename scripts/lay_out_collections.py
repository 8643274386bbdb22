"""Lay out collections from the project's own files, offline apart from PyPI.

--galaxy-tarballs CONFIG: write the collection tarballs that CONFIG (antsibull-nox.toml) names as
  collection sources, ".build/galaxy/ansible-VERSION/NAMESPACE-NAME-CVERSION.tar.gz": collection
  NAMESPACE.NAME CVERSION, unpacked from the `ansible` VERSION wheel on PyPI (Galaxy is not reachable), fetched once with pip into --cache.
  antsibull-nox then installs them with `ansible-galaxy collection download` like any source.
--self REPO: copy this repository's files (tracked and untracked-but-not-ignored) to
  ansible_collections/<namespace>/<name> under --dest, read from its galaxy.yml.
"""
from __future__ import annotations

import argparse
import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Dict, List, Tuple


SOURCE = re.compile(r'"(\.build/galaxy/ansible-([^/"]+)/([a-z0-9_]+)-([a-z0-9_]+)-([0-9][^/"]*)\.tar\.gz)"')


def galaxy_tarballs(config: Path, root: Path, cache: Path) -> List[Path]:
    """Write every tarball the config names (skipping those already there); returns their paths."""
    written = []
    wanted: Dict[str, List[Tuple[Path, str]]] = {}
    for match in SOURCE.finditer(config.read_text(encoding="utf-8")):
        path, version, namespace, name, collection_version = match.groups()
        if not (root / path).is_file():
            wanted.setdefault(version, []).append((root / path, "%s/%s:%s" % (namespace, name, collection_version)))
    for version, tarballs in sorted(wanted.items()):
        with zipfile.ZipFile(_wheel(version, cache)) as wheel:
            for path, collection in tarballs:
                _tarball(wheel, collection, path)
                written.append(path)
    return written


def _wheel(version: str, cache: Path) -> Path:
    cache.mkdir(parents=True, exist_ok=True)
    wheels = sorted(cache.glob("ansible-%s-*.whl" % version))
    if not wheels:
        print("lay_out_collections: fetching the ansible %s wheel from PyPI" % version, file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-qq", "--no-deps", "--only-binary=:all:",
             "-d", str(cache), "ansible==%s" % version],
            check=True,
        )
        wheels = sorted(cache.glob("ansible-%s-*.whl" % version))
    return wheels[0]


def _tarball(wheel: zipfile.ZipFile, collection: str, path: Path) -> None:
    """A collection artifact as `ansible-galaxy collection build` lays it out: MANIFEST.json and
    FILES.json at the top, then the collection's files. `collection` is NAMESPACE/NAME:VERSION."""
    collection, wanted = collection.split(":")
    prefix = "ansible_collections/%s/" % collection
    manifest = json.loads(wheel.read(prefix + "MANIFEST.json"))
    if manifest["collection_info"]["version"] != wanted:
        raise SystemExit("lay_out_collections: %s holds %s %s, not %s (see %s)" % (
            wheel.filename, collection.replace("/", "."), manifest["collection_info"]["version"], wanted, path.name))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with tarfile.open(partial, "w:gz") as tar:
        for member in wheel.infolist():
            if not member.filename.startswith(prefix) or member.filename == prefix:
                continue
            info = tarfile.TarInfo(member.filename[len(prefix):].rstrip("/"))
            info.mtime = 0
            if member.is_dir():
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                data = wheel.read(member)
                info.size, info.mode = len(data), 0o644
                tar.addfile(info, io.BytesIO(data))
    partial.rename(path)
    print("lay_out_collections: %s %s -> %s" % (collection.replace("/", "."), manifest["collection_info"]["version"], path),
          file=sys.stderr)


def copy_self(repo: Path, dest: Path) -> Path:
    galaxy = (repo / "galaxy.yml").read_text()
    fields = dict(
        line.split(":", 1) for line in galaxy.splitlines() if ":" in line and not line.startswith((" ", "#", "-"))
    )
    namespace, name = fields["namespace"].strip(), fields["name"].strip()
    target = dest / "ansible_collections" / namespace / name
    listed = subprocess.run(
        ["git", "-C", str(repo), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        check=True, capture_output=True,
    ).stdout.decode().split("\0")
    wanted = {p for p in listed if p and (repo / p).is_file()}
    if target.exists():
        for old in sorted(target.rglob("*"), reverse=True):
            rel = old.relative_to(target).as_posix()
            if old.is_file() and rel not in wanted and not rel.startswith("tests/output/"):
                old.unlink()
    for rel in sorted(wanted):
        src, dst = repo / rel, target / rel
        if dst.is_file() and dst.stat().st_mtime_ns == src.stat().st_mtime_ns and dst.stat().st_size == src.stat().st_size:
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path)
    parser.add_argument("--galaxy-tarballs", type=Path, metavar="CONFIG")
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--self", dest="repo", type=Path)
    args = parser.parse_args()
    if args.galaxy_tarballs:
        root = args.galaxy_tarballs.resolve().parent
        galaxy_tarballs(args.galaxy_tarballs, root, args.cache or root / ".build" / "dl")
    if args.repo:
        if not args.dest:
            parser.error("--self needs --dest")
        print(f"lay_out_collections: this working tree copied to {copy_self(args.repo, args.dest)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
