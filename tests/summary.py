#!/usr/bin/env python3
"""Count passed and failed tests in meson test logs (meson-logs/testlog.json, one JSON object per line) and print
"N passed, N failed". A log that is missing counts as one failure: the tests it should hold did not run."""
import json
import sys

passed = failed = 0
for path in sys.argv[1:]:
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                result = json.loads(line).get("result", "")
                if result in ("OK", "EXPECTEDFAIL"):
                    passed += 1
                elif result != "SKIP":
                    failed += 1
    except OSError:
        print(f"summary: no test log at {path}", file=sys.stderr)
        failed += 1
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
