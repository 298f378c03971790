#!/usr/bin/env bash
# Start a single-node SLURM cluster on the local machine (as root) when none answers; prints the SLURM_CONF to export.
# Installs Debian's slurmctld, slurmd, slurm-client and munge when missing.
set -euo pipefail
if [ -n "${SLURM_CONF:-}" ] && sinfo -h >/dev/null 2>&1; then echo "$SLURM_CONF"; exit 0; fi
# one start at a time, and a cluster this script already started is reused, never restarted under its jobs (two test
# workers that each ask for the cluster must not kill each other's)
state=${GANBENCH_SLURM_DIR:-/tmp/ganbench-slurm}
mkdir -p "$state"
exec 9>"$state/.lock"
flock 9
if [ -f "$state/slurm.conf" ] && command -v sinfo >/dev/null \
   && SLURM_CONF="$state/slurm.conf" sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then
  echo "$state/slurm.conf"; exit 0
fi
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurmctld slurmd slurm-client munge >&2
fi
state=${GANBENCH_SLURM_DIR:-/tmp/ganbench-slurm}
mkdir -p "$state"/{ctld,d,log}
if [ ! -s /etc/munge/munge.key ]; then
  mkdir -p /etc/munge && dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
fi
chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge 2>/dev/null || true
mkdir -p /run/munge && chown munge:munge /run/munge && chmod 0400 /etc/munge/munge.key
# the daemons must not inherit the lock's descriptor (9): they would hold the lock for as long as they run, and the
# next caller (another test worker) would wait on it for ever
pgrep -x munged >/dev/null || su -s /bin/sh munge -c "/usr/sbin/munged" 9>&-
host=$(hostname -s)
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
cpus=$(( $(nproc) > 8 ? $(nproc) : 8 ))
conf="$state/slurm.conf"
# MinJobAge=10 (SLURM's default is 300): finished jobs are forgotten within seconds, so the tests meet what a
# cluster user meets the morning after (squeue: "Invalid job id specified" for a trial's job)
cat > "$conf" <<CONF
ClusterName=ganbench
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/d
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
ReturnToService=2
KillWait=5
MinJobAge=10
# at least 8 CPUs whatever the machine has (config_overrides), so the tests can run 8 array tasks at once;
# each task gets an even share of memory unless it asks
SlurmdParameters=config_overrides
DefMemPerCPU=$(( mem / cpus ))
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$conf"
pkill -x slurmctld 2>/dev/null || true; pkill -x slurmd 2>/dev/null || true; sleep 1
slurmctld -f "$conf" -c >&2 9>&-
slurmd -f "$conf" >&2 9>&-
for _ in $(seq 60); do
  if sinfo -h -o %t 2>/dev/null | grep -qE '^idle'; then echo "$conf"; exit 0; fi
  sleep 1
done
echo "SLURM did not come up; see $state/log" >&2
exit 1
