# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`python -m local_lambda` (with tools/ on sys.path): same as tools/local_lambda/server.py."""
from __future__ import annotations

import sys

from .server import main

sys.exit(main())
