"""What sitecustomize.py logged: how many interpreters a run started, how many imported Lightning, their CPU, and the
tests whose interpreters cost the most. Usage: python tests/perf/process_cpu/summary.py DIR"""
import collections
import json
import sys
from pathlib import Path

records = [json.loads(p.read_text()) for p in Path(sys.argv[1]).glob("*.json")]
lightning = [r for r in records if r["lightning"]]
print(f"{len(records)} interpreters, {sum(r['cpu_s'] for r in records):.0f} CPU-s; {len(lightning)} imported Lightning, "
      f"{sum(r['cpu_s'] for r in lightning):.0f} CPU-s with their work")
by_test = collections.defaultdict(list)
for r in records:
    by_test[r["test"] or "(no test: pytest itself or its workers)"].append(r["cpu_s"])
for test, cpu in sorted(by_test.items(), key=lambda kv: -sum(kv[1]))[:20]:
    print(f"{sum(cpu):7.0f} CPU-s {len(cpu):3d} interpreters  {test}")
