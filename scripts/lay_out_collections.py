"""Lay out an ansible_collections/ tree under --dest.

--requirements FILE: lines "PACKAGE==VERSION NAMESPACE.NAME ..." name a PyPI wheel (the
  `ansible` package) and the collections to unpack from it; the wheel is fetched once with
  pip into --cache and a collection is unpacked again only when its version changes.
--self REPO: copy this repository's files (tracked and untracked-but-not-ignored) to
  ansible_collections/<namespace>/<name>, read from its galaxy.yml.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path


def unpack(requirements: Path, dest: Path, cache: Path) -> None:
    for raw in requirements.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        package, *collections = line.split()
        name, version = package.split("==")
        cache.mkdir(parents=True, exist_ok=True)
        wheels = sorted(cache.glob(f"{name}-{version}-*.whl"))
        if not wheels:
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "-qq", "--no-deps",
                 "--only-binary=:all:", "-d", str(cache), package],
                check=True,
            )
            wheels = sorted(cache.glob(f"{name}-{version}-*.whl"))
        with zipfile.ZipFile(wheels[0]) as wheel:
            for collection in collections:
                _unpack_one(wheel, collection, dest)


def _unpack_one(wheel: zipfile.ZipFile, collection: str, dest: Path) -> None:
    prefix = "ansible_collections/" + collection.replace(".", "/") + "/"
    target = dest / prefix
    manifest = json.loads(wheel.read(prefix + "MANIFEST.json"))
    version = manifest["collection_info"]["version"]
    stamp = target / ".unpacked-version"
    if stamp.is_file() and stamp.read_text() == version:
        return
    shutil.rmtree(target, ignore_errors=True)
    for member in wheel.namelist():
        if member.startswith(prefix) and not member.endswith("/"):
            wheel.extract(member, dest)
    stamp.write_text(version)
    print(f"lay_out_collections: {collection} {version}", file=sys.stderr)


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
    parser.add_argument("--dest", type=Path, required=True)
    parser.add_argument("--requirements", type=Path)
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--self", dest="repo", type=Path)
    args = parser.parse_args()
    if args.requirements:
        unpack(args.requirements, args.dest, args.cache or args.dest / ".cache")
    if args.repo:
        print(f"lay_out_collections: this working tree copied to {copy_self(args.repo, args.dest)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
