#!/usr/bin/env bash
# Starts a one-node Slurm cluster on this machine, to try `facerec-batch --slurm`
# and to test it: munge (authentication), slurmctld (controller) and slurmd
# (compute node) as plain daemons (no systemd), a partition "facerec" with this
# node and its real CPU count and memory (from `slurmd -C`). Waits until `sinfo`
# shows the node idle. Idempotent: what already runs is kept. Needs root and the
# packages slurm-wlm and munge (scripts/install-deps.sh). scripts/slurm-stop.sh
# stops it.
#
# Known to work without systemd or cgroups (containers): proctrack/linuxproc,
# task/none, no accounting database; finished jobs are recorded by
# jobcomp/filetxt in $FACEREC_SLURM_JOBCOMP (default /var/log/slurm/jobcomp.log),
# so their exit codes can be read after they have left `scontrol show job`.
#
# For a real cluster, use the site's slurm.conf instead: the same munge key on
# every node, slurmd on each compute node, and OUT/model on a shared filesystem.
set -euo pipefail

conf=/etc/slurm/slurm.conf
marker="# written by gst-facerec scripts/slurm-start.sh"
jobcomp=${FACEREC_SLURM_JOBCOMP:-/var/log/slurm/jobcomp.log}
say() { echo "slurm-start: $*"; }
die() { echo "slurm-start: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (it starts munged, slurmctld and slurmd)"
for b in munged munge unmunge slurmctld slurmd sinfo scontrol; do
  command -v "$b" >/dev/null 2>&1 \
    || die "$b not found: install slurm-wlm and munge (scripts/install-deps.sh)"
done
id munge >/dev/null 2>&1 || die "no 'munge' user: reinstall the munge package"
id slurm >/dev/null 2>&1 || die "no 'slurm' user: reinstall the slurmctld package"

# ---- munge: a key shared by every node of the cluster (here: one) ----
install -d -o munge -g munge -m 0700 /etc/munge /var/lib/munge /var/log/munge
install -d -o munge -g munge -m 0755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  say "creating /etc/munge/munge.key"
  if command -v mungekey >/dev/null 2>&1; then
    mungekey --create --keyfile=/etc/munge/munge.key
  else
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
  fi
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  say "starting munged"
  rm -f /run/munge/munged.pid
  runuser -u munge -- munged || die "munged did not start (see /var/log/munge/munged.log)"
  for _ in $(seq 50); do
    munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
    sleep 0.1
  done
  munge -n | unmunge >/dev/null || die "munge does not answer (see /var/log/munge/munged.log)"
fi

# ---- slurm.conf ----
node=$(hostname -s)
hw=$(slurmd -C | head -n 1)   # NodeName=... CPUs=... Boards=... RealMemory=...
[[ "$hw" == NodeName=* ]] || die "slurmd -C printed no node line: $hw"
hw=${hw#NodeName=* }           # keep the hardware fields, name the node ourselves
if [ -e "$conf" ] && ! grep -qF "$marker" "$conf"; then
  die "$conf exists and was not written by this script: this machine has its own Slurm setup, use it (or move $conf away)"
fi
install -d -m 0755 /etc/slurm /var/log/slurm "$(dirname "$jobcomp")"
install -d -o slurm -g slurm -m 0755 /var/spool/slurmctld
install -d -m 0755 /var/spool/slurmd
touch /var/log/slurm/slurmctld.log "$jobcomp"
chown slurm:slurm /var/log/slurm/slurmctld.log "$jobcomp"
new=$(mktemp)
cat >"$new" <<EOF
$marker
ClusterName=facerec
# 127.0.0.1: works whatever the host name resolves to
SlurmctldHost=$node(127.0.0.1)
SlurmUser=slurm
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
# no cgroups, no systemd
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$jobcomp
MpiDefault=none
# cores are the consumable resource, not memory: jobs that state no --mem share the node
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
# finished jobs stay in 'scontrol show job' for 10 minutes
MinJobAge=600
SlurmdTimeout=60
NodeName=$node NodeAddr=127.0.0.1 $hw State=UNKNOWN
PartitionName=facerec Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
chmod 0644 "$new"
changed=0
if ! cmp -s "$new" "$conf" 2>/dev/null; then
  mv "$new" "$conf"
  changed=1
  say "wrote $conf ($hw)"
else
  rm -f "$new"
fi

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
if [ $changed -eq 1 ] && { running /run/slurmctld.pid || running /run/slurmd.pid; }; then
  # host or hardware lines changed: `scontrol reconfigure` does not apply those
  say "configuration changed: restarting slurmctld and slurmd"
  for f in /run/slurmd.pid /run/slurmctld.pid; do
    if running "$f"; then
      pid=$(cat "$f"); kill "$pid"
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  done
fi
if ! running /run/slurmctld.pid; then
  say "starting slurmctld"
  slurmctld || die "slurmctld did not start (see /var/log/slurm/slurmctld.log)"
fi
if ! running /run/slurmd.pid; then
  say "starting slurmd"
  slurmd || die "slurmd did not start (see /var/log/slurm/slurmd.log)"
fi

# ---- wait for the node ----
state=""
for _ in $(seq 60); do
  state=$(sinfo -h -n "$node" -o %t 2>/dev/null | head -n 1 || true)
  case "$state" in
    idle|mix|alloc|comp) say "node $node is $state"; exit 0 ;;
    down*|drain*|drng*|fail*)
      # e.g. a restart: the node was 'not responding'; take it back
      scontrol update nodename="$node" state=resume >/dev/null 2>&1 || true ;;
  esac
  sleep 1
done
die "node $node is not idle after 60 s (state '${state:-unknown}'); see /var/log/slurm/slurmctld.log and slurmd.log"
