#!/usr/bin/env bash
# The whole suite as `make test` runs it, with the machine's busy CPU-seconds and idle core-seconds over the run from
# /proc/stat (so SLURM daemons, tasks and subprocesses count). Run alone on the machine, from the project's root:
#   bash tests/perf/suite_cpu.sh WORKERS [pytest args ...]      e.g. 2, then 3, to compare worker counts
set -u
workers=${1:?usage: suite_cpu.sh WORKERS [pytest args]}; shift
read -r _ u n s i w q sq st _ < /proc/stat; busy0=$((u+n+s+q+sq+st)); idle0=$((i+w)); t0=$(date +%s)
OMP_NUM_THREADS=1 .venv/bin/python -m pytest -q -n "$workers" --dist worksteal --durations=25 "$@"
rc=$?
read -r _ u n s i w q sq st _ < /proc/stat; busy1=$((u+n+s+q+sq+st)); idle1=$((i+w)); hz=$(getconf CLK_TCK)
echo "workers=$workers exit=$rc wall_s=$(( $(date +%s) - t0 )) busy_cpu_s=$(( (busy1-busy0)/hz )) idle_core_s=$(( (idle1-idle0)/hz ))"
exit $rc
