#!/usr/bin/env python3
"""Fuzz every parser of the protocol package (``make stress``, first stage).

Each target of ``oci_punchout/protocol/tests/fuzzing.py`` runs in a child process of its own,
under an address-space limit, for ``--examples`` generated inputs (hypothesis, a new random seed
each run unless ``--seed``). A target passes when every input was answered with a result or a
protocol error within the time bound, the child's peak memory stayed under ``--memory-mb``, and
at least ``--examples`` inputs were run. Prints one line per target and, last,
``fuzz: N checks, N failed``.

Usage: stress_fuzz.py [--examples N] [--jobs N] [--memory-mb MB] [--seed N] [--only NAME...]
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PROTOCOL_TESTS = Path(__file__).resolve().parent.parent / "oci_punchout" / "protocol" / "tests"


def _import_targets():
    # As the protocol tests' pytest.ini: the tests' folder and the addon's (for `protocol`).
    for path in (str(PROTOCOL_TESTS.parent.parent), str(PROTOCOL_TESTS)):
        if path not in sys.path:
            sys.path.insert(0, path)
    import fuzzing

    return fuzzing


def run_target(name, examples, seed, memory_mb):
    """In the child: fuzz one target, print a JSON line of its figures."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 2**20, memory_mb * 2**20))
    fuzzing = _import_targets()
    from hypothesis import given
    from hypothesis import seed as hypothesis_seed

    target = fuzzing.TARGETS[name]
    figures = {
        "name": name,
        "inputs": 0,
        "slowest": 0.0,
        "real_reads": 0,
        "slowest_real": 0.0,
        "finding": None,
    }

    @hypothesis_seed(seed)
    @fuzzing.fuzz_settings(examples)
    @given(target.inputs())
    def run(value):
        figures["inputs"] += 1
        elapsed = fuzzing.check(target, value)
        if elapsed > target.time_bound:
            # Beyond the in-process bound: ``check`` had the real reader read it again.
            figures["real_reads"] += 1
            figures["slowest_real"] = max(figures["slowest_real"], elapsed)
        else:
            figures["slowest"] = max(figures["slowest"], elapsed)

    started = time.monotonic()
    try:
        run()
    except fuzzing.Finding as finding:
        figures["finding"] = str(finding)[:2000]
    except Exception as exc:
        # hypothesis reports distinct failures together, as an exception group
        inner = getattr(exc, "exceptions", None)
        if not inner:
            raise
        figures["finding"] = "; ".join(str(one) for one in inner)[:2000]
    except MemoryError:
        figures["finding"] = f"{name}: ran out of the {memory_mb} MB address space"
    figures["seconds"] = round(time.monotonic() - started, 1)
    figures["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    figures["time_bound"] = target.time_bound
    figures["real_bound"] = target.real_bound if target.real_call is not None else None
    print(json.dumps(figures))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--memory-mb", type=int, default=1024)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    if args.child:
        run_target(args.child, args.examples, seed, args.memory_mb)
        return 0

    names = args.only or sorted(_import_targets().TARGETS)
    print(
        f"fuzz: {len(names)} parsers, {args.examples} inputs each, seed {seed}; bounds: "
        f"{_import_targets().TIME_BOUND} s per input (the PDF reader: 16 CPU seconds, its "
        "child's limit and the timer's signal), "
        f"{args.memory_mb} MB per parser process",
        flush=True,
    )

    def one(name):
        command = [
            sys.executable,
            __file__,
            "--child",
            name,
            "--examples",
            str(args.examples),
            "--seed",
            str(seed),
            "--memory-mb",
            str(args.memory_mb),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if not lines:
            tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
            return {"name": name, "finding": f"the child died (exit {done.returncode}): {tail}"}
        return json.loads(lines[-1])

    failed = 0
    with ThreadPoolExecutor(max_workers=max(args.jobs, 1)) as pool:
        for figures in pool.map(one, names):
            problems = []
            if figures.get("finding"):
                problems.append(figures["finding"])
            elif figures["inputs"] < args.examples:
                problems.append(f"only {figures['inputs']} inputs were generated")
            elif figures["peak_mb"] > args.memory_mb:
                problems.append(f"peak memory {figures['peak_mb']} MB")
            if problems:
                failed += 1
            bound = figures.get("time_bound", _import_targets().TIME_BOUND)
            summary = (
                f"{figures.get('inputs', 0)} inputs, slowest {figures.get('slowest', 0):.3f} s "
                f"(bound {bound} s), "
                f"peak {figures.get('peak_mb', '?')} MB, {figures.get('seconds', '?')} s"
            )
            if figures.get("real_reads"):
                summary += (
                    f", {figures['real_reads']} beyond the bound read again by the real reader "
                    f"(slowest {figures['slowest_real']:.3f} s, bound {figures['real_bound']} s)"
                )
            verdict = "FAILED: " + "; ".join(problems) if problems else "ok"
            print(f"fuzz {figures['name']}: {summary}: {verdict}", flush=True)
    print(f"fuzz: {len(names)} checks, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
