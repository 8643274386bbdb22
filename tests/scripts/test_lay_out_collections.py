# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""scripts/lay_out_collections.py --galaxy-tarballs: the collection sources antsibull-nox.toml names,
made from an `ansible` wheel (here a small stand-in wheel in the cache, so nothing is fetched)."""
from __future__ import annotations

import json
import tarfile
import zipfile
from pathlib import Path

import pytest

import lay_out_collections

CONFIG = '''[collection_sources]
"ns.name" = ".build/galaxy/ansible-1.0.0/ns-name-2.0.0.tar.gz"
'''


def _wheel(cache: Path, collection_version: str) -> None:
    cache.mkdir(parents=True)
    with zipfile.ZipFile(cache / "ansible-1.0.0-py3-none-any.whl", "w") as wheel:
        prefix = "ansible_collections/ns/name/"
        wheel.writestr(prefix + "MANIFEST.json", json.dumps({"collection_info": {"version": collection_version}}))
        wheel.writestr(prefix + "FILES.json", "{}")
        wheel.writestr(prefix + "plugins/modules/thing.py", "# a module\n")
        wheel.writestr("ansible_collections/other/one/MANIFEST.json", "{}")


def test_tarball_is_laid_out_as_ansible_galaxy_builds_one(tmp_path: Path) -> None:
    _wheel(tmp_path / "cache", "2.0.0")
    (tmp_path / "antsibull-nox.toml").write_text(CONFIG, encoding="utf-8")
    written = lay_out_collections.galaxy_tarballs(tmp_path / "antsibull-nox.toml", tmp_path, tmp_path / "cache")
    tarball = tmp_path / ".build/galaxy/ansible-1.0.0/ns-name-2.0.0.tar.gz"
    assert written == [tarball]
    with tarfile.open(tarball) as tar:
        assert sorted(tar.getnames()) == ["FILES.json", "MANIFEST.json", "plugins/modules/thing.py"]
    # A second run finds it there and writes nothing.
    assert not lay_out_collections.galaxy_tarballs(tmp_path / "antsibull-nox.toml", tmp_path, tmp_path / "cache")


def test_a_source_naming_another_version_than_the_wheel_holds_is_refused(tmp_path: Path) -> None:
    _wheel(tmp_path / "cache", "2.0.1")
    (tmp_path / "antsibull-nox.toml").write_text(CONFIG, encoding="utf-8")
    with pytest.raises(SystemExit, match="holds ns.name 2.0.1, not 2.0.0"):
        lay_out_collections.galaxy_tarballs(tmp_path / "antsibull-nox.toml", tmp_path, tmp_path / "cache")
