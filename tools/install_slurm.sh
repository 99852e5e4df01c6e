#!/usr/bin/env bash
# Install Debian's Slurm (slurm-wlm) and munge, for `--cmd slurm` on a one-node cluster of this machine
# (tools/slurm_localhost.sh) and for the job-dispatch tests (tests/jobs). Needs root on Debian/Ubuntu; does nothing
# when slurmctld, slurmd, sbatch and munged are already there.
set -euo pipefail
if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null &&
   command -v munged >/dev/null; then
  echo "Slurm and munge already installed"; exit 0
fi
[ "$(id -u)" = 0 ] || { echo "$0: run as root (apt-get install slurm-wlm munge)" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q slurm-wlm munge >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q slurm-wlm munge >/dev/null; }
echo "installed: slurm-wlm $(dpkg-query -W -f='${Version}' slurm-wlm)"
