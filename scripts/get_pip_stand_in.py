#!/usr/bin/env python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for get-pip.py, which ansible-test downloads from a host this machine cannot reach.

noxfile.py copies this file to ~/.ansible/test/cache/get_pip_<version>.py, where
ansible-test looks first. Run by ansible-test as ``python get_pip_X_Y_Z.py [pip install args]``:
it bootstraps pip with this Python's own ensurepip, then installs what ansible-test asked for
(``pip==X.Y`` and its options) from the package index, and removes setuptools and wheel again
when ``--no-setuptools`` / ``--no-wheel`` were given.
"""
from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from typing import List, Sequence, Tuple

UNWANTED_FLAGS = {"--no-setuptools": "setuptools", "--no-wheel": "wheel"}


def split_args(args: Sequence[str]) -> Tuple[List[str], List[str]]:
    """(arguments for pip install, distributions to remove afterwards)."""
    drop = [name for flag, name in UNWANTED_FLAGS.items() if flag in args]
    return [arg for arg in args if arg not in UNWANTED_FLAGS], drop


def installed(names: Sequence[str]) -> List[str]:
    present = []
    for name in names:
        try:
            metadata.distribution(name)
            present.append(name)
        except metadata.PackageNotFoundError:
            pass
    return present


def main(argv: Sequence[str]) -> int:
    install, drop = split_args(argv)
    # In a child process: ensurepip blanks pip's configuration (PIP_CONFIG_FILE) in its own process.
    subprocess.run([sys.executable, "-m", "ensurepip", "--upgrade"], stdout=subprocess.DEVNULL, check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet"] + install, check=True)
    present = installed(drop)
    if present:
        subprocess.run([sys.executable, "-m", "pip", "uninstall", "--quiet", "--yes"] + present, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
