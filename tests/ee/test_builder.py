# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Execution environments: what ansible-builder makes of examples/execution-environment.yml and of
this collection's meta/execution-environment.yml. No container runtime is needed: `ansible-builder
create` only writes the build context, and `ansible-builder introspect` is what the build runs, in
its builder stage, on the installed collections to find their Python and system requirements.

nox -s ee runs this with ansible-builder (requirements/ee.txt) and CLOUDHOOKS_COLLECTIONS, an
ansible_collections/ parent where antsibull-nox laid out this collection beside amazon.aws.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BUILDER = str(Path(sys.executable).parent / "ansible-builder")


def _requirement_names(lines: List[str]) -> Dict[str, str]:
    """{distribution name: the whole line} of requirement lines, comments and blanks left out."""
    found = {}
    for line in lines:
        text = line.split("#", 1)[0].strip()
        if text:
            name = text
            for separator in ("<", ">", "=", "!", "~", ";", "[", " "):
                name = name.split(separator, 1)[0]
            found[name.lower()] = line
    return found


def test_collection_declares_its_requirements_as_ansible_builder_reads_them() -> None:
    meta = yaml.safe_load((ROOT / "meta" / "execution-environment.yml").read_text(encoding="utf-8"))
    assert meta["version"] == 1
    assert meta["dependencies"] == {"python": "requirements.txt", "system": "bindep.txt"}
    python = _requirement_names((ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines())
    # DurableExecutionName (durable functions) came with botocore 1.42.1, TenantId with 1.41.0.
    assert python == {"boto3": "boto3>=1.42.1", "botocore": "botocore>=1.42.1"}
    system = _requirement_names((ROOT / "bindep.txt").read_text(encoding="utf-8").splitlines())
    assert system == {}


def test_create_writes_a_build_context_with_both_collections(tmp_path: Path) -> None:
    context = tmp_path / "context"
    subprocess.run([BUILDER, "create", "--file", str(ROOT / "examples" / "execution-environment.yml"),
                    "--context", str(context), "--output-filename", "Containerfile", "-v", "3"], check=True)
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    galaxy = yaml.safe_load((context / "_build" / "requirements.yml").read_text(encoding="utf-8"))
    names = [entry["name"] for entry in galaxy["collections"]]
    assert names == ["cloudhooks.aws", "amazon.aws"]
    # The build installs the collections, then asks ansible-builder which Python packages they need.
    assert "ansible-galaxy collection install" in containerfile
    assert "ansible-builder introspect" in containerfile or "introspect.py" in containerfile


@pytest.fixture
def collections() -> Path:
    place = os.environ.get("CLOUDHOOKS_COLLECTIONS")
    if not place or not (Path(place) / "ansible_collections" / "amazon" / "aws").is_dir():
        pytest.fail("CLOUDHOOKS_COLLECTIONS names no ansible_collections/ parent with amazon.aws: run nox -s ee",
                    pytrace=False)
    return Path(place)


def test_introspect_finds_the_collections_python_requirements(collections: Path, tmp_path: Path) -> None:
    """What the builder stage of the image runs on the installed collections: boto3 and botocore
    at this collection's floors, named as coming from cloudhooks.aws."""
    pip, bindep = tmp_path / "requirements.txt", tmp_path / "bindep.txt"
    subprocess.run([BUILDER, "introspect", "--sanitize", "--write-pip", str(pip), "--write-bindep", str(bindep),
                    str(collections)], check=True)
    lines = pip.read_text(encoding="utf-8").splitlines()
    print("\n".join(lines))
    found = _requirement_names(lines)
    assert {"boto3", "botocore"} <= set(found)
    for name in ("boto3", "botocore"):
        assert "cloudhooks.aws" in found[name], found[name]
        assert ">=1.42.1" in found[name], found[name]
