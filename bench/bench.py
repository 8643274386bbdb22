# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The benchmark of cloudhooks.aws.lambda_invocation (run it with bench/run, not directly).

Every figure is a ratio of two playbooks measured side by side in the same run, on the same
local Lambda endpoint (tools/local_lambda, 127.0.0.1 only), with the same ansible.cfg; the sides
are interleaved (their order rotates every round) and the median of the rounds is reported,
because the machine is shared and noisy. A "per task" cost is (playbook wall time - wall time of
the same play with no tasks, measured in the same round) / number of tasks.

The parts: harness.py (endpoint, work directory, playbook runs, timing), figures/ (one module per
figure, run in file-name order), breakdown.py (where the time of a change-path task goes),
report.py (the table and docs/performance.md). See docs/performance.md for what limits each figure.

--smoke: a few tasks per figure, one round; prints only what it checks (playbooks succeed,
records are recognised, the endpoint sees exactly the calls the lifecycle requires) and fails
(exit 1) when one of those does not hold. Its timings are too few to mean anything and are not
shown. Full mode prints the table and writes it into docs/performance.md (between the GENERATED
markers); --strict makes it exit 2 when a target is missed.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import re
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any, List, Optional, Sequence

from figures import all_figures
from harness import FULL, PLAYBOOK, PY, ROOT, SMOKE, BenchError, Harness
from report import RunInfo, loadavg, print_table, write_doc

DEFAULT_COLLECTIONS = ROOT / ".build" / "collections"


def parse_args(argv: Optional[Sequence[str]], figures: List[ModuleType]) -> argparse.Namespace:
    keys = [f.KEY for f in figures]
    parser = argparse.ArgumentParser(prog="bench/run", description=(__doc__ or "").split("\n\n", maxsplit=1)[0])
    parser.add_argument("--smoke", action="store_true", help="a few tasks per figure; prints and fails only on what it checks")
    parser.add_argument("--strict", action="store_true", help="exit 2 when a target is missed")
    parser.add_argument("--no-doc", action="store_true", help="full mode without writing docs/performance.md")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (playbooks, logs, profiles)")
    parser.add_argument("--only", default="", help="comma-separated subset of: " + ",".join(keys))
    parser.add_argument("--rounds", type=int, default=None,
                        help="full mode: rounds of the no-change and change figures (default 5); fewer is quicker "
                        "and noisier, and the page says how many were run")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every playbook run")
    parser.add_argument("--collections", type=Path, default=None,
                        help="another ansible_collections/ parent to measure (to try a change to plugins/ in a copy); "
                        "default .build/collections. Never writes docs/performance.md")
    args = parser.parse_args(argv)
    args.only = [k for k in args.only.split(",") if k] or keys
    unknown = sorted(set(args.only) - set(keys))
    if unknown:
        parser.error("--only: no figure %s (figures: %s)" % (", ".join(unknown), ", ".join(keys)))
    if args.collections is not None:
        args.no_doc = True
    args.collections = (args.collections or DEFAULT_COLLECTIONS).resolve()
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    figures = all_figures()
    args = parse_args(argv, figures)
    mode = SMOKE if args.smoke else FULL
    if args.rounds and not args.smoke:
        mode = dataclasses.replace(mode, nochange_rounds=args.rounds, change_rounds=args.rounds)
    for path in (PY, PLAYBOOK, args.collections / "ansible_collections" / "cloudhooks" / "aws"):
        if not path.exists():
            print("bench: %s is missing; run bench/run (it sets up .build/ first)" % path, file=sys.stderr)
            return 1
    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.perf_counter()
    load_start = loadavg()
    work = Path(tempfile.mkdtemp(prefix="cloudhooks-bench-"))
    b = Harness(mode, work, args.collections, verbose=args.verbose)
    broken = not _measure(b, [f for f in figures if f.KEY in args.only])
    info = RunInfo(started=started, seconds=time.perf_counter() - t0, load_start=load_start, load_end=loadavg())
    broken = bool(b.problems) or broken
    if not mode.smoke:
        b.figures.sort(key=lambda f: (int(re.match(r"\d+", f.number).group(0)), f.number))  # type: ignore[union-attr]
        print_table(b.figures)
        if not broken and not args.no_doc and len(args.only) == len(figures):
            write_doc(b.figures, b.sections, args.collections, info)
    if b.problems:
        print("\nbench: what did not hold:\n  " + "\n  ".join(b.problems), file=sys.stderr)
    if broken or args.keep:
        print("bench: work directory kept: %s" % work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    print("bench: %s mode, %d checks, %s in %.0f s" % (
        mode.name, b.checks, "BROKEN" if broken else "all held", info.seconds))
    if broken:
        return 1
    if args.strict and not mode.smoke and any(f.verdict == "FAIL" for f in b.figures):
        return 2
    return 0


def _measure(b: Harness, figures: List[ModuleType]) -> bool:
    """Run the figures; False when something broke (the endpoint is stopped in any case)."""

    def on_signal(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt("signal %d" % signum)

    signal.signal(signal.SIGTERM, on_signal)
    try:
        print("bench: %s mode, work directory %s" % (b.mode.name, b.work))
        b.endpoint.start()
        print("bench: local Lambda endpoint %s" % b.endpoint.url)
        for figure in figures:
            start = time.perf_counter()
            if b.mode.smoke:  # full mode: each figure says what it measures
                print("\n%s:" % figure.TITLE)
            figure.measure(b)
            b.say("  (%s: %.0f s)" % (figure.KEY, time.perf_counter() - start))
        return True
    except BenchError as exc:
        print("\nbench: BROKEN: %s" % exc, file=sys.stderr)
    except KeyboardInterrupt:
        print("\nbench: interrupted", file=sys.stderr)
    finally:
        b.stop()
    return False


if __name__ == "__main__":
    sys.exit(main())
