#!/usr/bin/env bash
# A one-node Slurm cluster on this machine (every core, one partition), to try `--cmd slurm` and for the tests:
#
#   bash tools/slurm_localhost.sh start DIR    # DIR/slurm.conf, logs and state; starts munged, slurmctld, slurmd
#   export SLURM_CONF=DIR/slurm.conf          # then sbatch, squeue and `speechkit ... --cmd slurm` use it
#   bash tools/slurm_localhost.sh stop DIR
#
# Needs tools/install_slurm.sh's packages and root (slurmd runs jobs as their user). Ports 16817/16818, not
# Slurm's defaults, so that it does not meet a real cluster's daemons on the same host.
set -euo pipefail
action=${1:-}; dir=${2:-}
[ -n "$action" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 1; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
conf=$dir/slurm.conf

if [ "$action" = stop ]; then
  for d in slurmd slurmctld; do
    [ -f "$dir/$d.pid" ] && kill "$(cat "$dir/$d.pid")" 2>/dev/null || true
  done
  exit 0
fi
[ "$action" = start ] || { echo "$0: unknown action $action (start or stop)" >&2; exit 1; }

host=$(hostname -s)
mkdir -p "$dir/state" "$dir/spool"
cat > "$conf" <<CONF
ClusterName=speechkit
SlurmctldHost=$host
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
NodeName=$host CPUs=$(nproc) RealMemory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512 )) State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF

if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  mkdir -p /run/munge && chown munge:munge /run/munge 2>/dev/null || true
  runuser -u munge -- munged 2>/dev/null || munged --force
fi
slurmctld -f "$conf"
slurmd -f "$conf"
for _ in $(seq 50); do  # until the node takes jobs
  SLURM_CONF=$conf sinfo -h -o %t 2>/dev/null | grep -q idle && { echo "Slurm up: export SLURM_CONF=$conf"; exit 0; }
  sleep 0.2
done
echo "$0: the node did not come up; see $dir/slurmctld.log and $dir/slurmd.log" >&2
exit 1
