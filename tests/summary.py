#!/usr/bin/env python3
"""Count passed and failed tests in meson test logs (meson-logs/testlog.json, one JSON object per line) and print
"N passed, N failed" as the last line. A log that is missing counts as one failure: the tests it should hold did
not run.

A test that skipped (exit 77: root, pcscd, vpcd, an Osmocom daemon... was missing) counts as failed with --strict
or when the environment has CI set: there every prerequisite must be installed, and a suite that skips proves
nothing. Skipped tests are listed by name, with the last line they wrote (their reason), either way.

Usage: summary.py [--strict] TESTLOG.json..."""
import json
import os
import sys

args = sys.argv[1:]
strict = bool(os.environ.get("CI"))
if args and args[0] == "--strict":
    strict = True
    args = args[1:]
passed = failed = 0
skipped = []
for path in args:
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                test = json.loads(line)
                result = test.get("result", "")
                if result in ("OK", "EXPECTEDFAIL"):
                    passed += 1
                elif result == "SKIP":
                    said = (test.get("stderr") or "").strip().splitlines() or (test.get("stdout") or "").strip().splitlines()
                    skipped.append((test.get("name", "?"), said[-1] if said else "no reason given"))
                else:
                    failed += 1
    except OSError:
        print(f"summary: no test log at {path}", file=sys.stderr)
        failed += 1
if skipped:
    verdict = "counted as failed" if strict else "not counted"
    print(f"summary: {len(skipped)} skipped ({verdict}):")
    for name, reason in skipped:
        print(f"  {name}: {reason}")
    if strict:
        failed += len(skipped)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
