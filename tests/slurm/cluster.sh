#!/usr/bin/env bash
# A single-node Slurm cluster of the test's own, under DIR: munged (as the munge user, on its own socket),
# slurmctld and slurmd (as root, no systemd, no cgroups), with ports, state, spool and logs of their own.
#   cluster.sh start DIR   start it; prints the SLURM_CONF to export; waits until the node is idle
#   cluster.sh stop DIR    end the daemons it started, by the PIDs it recorded, and nothing else
# Needs root (slurmd runs jobs as their submitting user) and Debian's slurm-wlm and munge. Without root it
# writes DIR/unavailable with the reason and exits 0, so tests can say why they skip.
set -euo pipefail

cmd=${1:?usage: cluster.sh start|stop DIR}
dir=${2:?usage: cluster.sh start|stop DIR}

# munged runs as the munge user, who must reach its files: they live in a directory of their own under /tmp,
# since the build tree's parents may be closed to other users (mktemp -d makes 0700 directories).
munge_dir_of() { cat "$dir/munge_dir" 2>/dev/null || true; }

stop() {
  local munge_dir
  munge_dir=$(munge_dir_of)
  for entry in "slurmd.pid:$dir" "slurmctld.pid:$dir" "munged.pid:${munge_dir:-$dir}"; do
    local pidfile=$dir/${entry%%:*} token=${entry#*:} pid
    [[ -f $pidfile ]] || continue
    pid=$(cat "$pidfile")
    # Only a process whose command line is one of ours is ended: a stale PID file never kills a stranger.
    if [[ -n $pid && -r /proc/$pid/cmdline ]] && tr '\0' ' ' </proc/"$pid"/cmdline | grep -q -- "$token"; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
  if [[ -n $munge_dir && $munge_dir == /tmp/prunesim-munge.* ]]; then rm -rf "$munge_dir"; fi
  rm -f "$dir/munge_dir"
}

free_port() {
  port=$(( (RANDOM % 20000) + 30000 ))
  while (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null; do
    port=$(( (RANDOM % 20000) + 30000 ))
  done
  echo "$port"
}

case $cmd in
stop)
  stop
  exit 0
  ;;
start) ;;
*)
  echo "cluster.sh: unknown command '$cmd' (expected start or stop)" >&2
  exit 2
  ;;
esac

[[ -d $dir ]] && stop
rm -rf "$dir"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if [[ $(id -u) -ne 0 ]]; then
  echo "a local Slurm cluster needs root (slurmd starts jobs as their user)" >"$dir/unavailable"
  exit 0
fi
for b in munged mungekey slurmctld slurmd sbatch squeue scancel; do
  if ! command -v "$b" >/dev/null; then
    echo "cluster.sh: $b not found (the setup step installs slurm-wlm and munge)" >&2
    exit 1
  fi
done

# munge: its own key and socket; munged refuses to run as root, and wants its files owned by its user.
munge=$(mktemp -d /tmp/prunesim-munge.XXXXXX)
echo "$munge" >"$dir/munge_dir"
mungekey -c -k "$munge/munge.key" >/dev/null 2>&1
chown -R munge:munge "$munge"
chmod 0711 "$munge"
runuser -u munge -- munged --socket="$munge/munge.sock" --key-file="$munge/munge.key" \
  --pid-file="$munge/munged.pid" --log-file="$munge/munged.log" --seed-file="$munge/seed"
for _ in $(seq 50); do [[ -S $munge/munge.sock ]] && break; sleep 0.1; done
cp "$munge/munged.pid" "$dir/munged.pid"

host=$(hostname -s)
cpus=$(nproc)
mem_mb=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 9 / 10))
ctld_port=$(free_port)
slurmd_port=$(free_port)
mkdir -p "$dir/state" "$dir/spool" "$dir/log"
cat >"$dir/slurm.conf" <<CONF
# Written by tests/slurm/cluster.sh for one test run.
ClusterName=prunesim-test
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$munge/munge.sock
CredType=cred/munge
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
# Short polls so a test sees state changes in a second, not a minute.
SchedulerParameters=sched_interval=1
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=2
MinJobAge=600
MaxArraySize=10001
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$dir/slurm.conf
slurmctld -f "$dir/slurm.conf" -i
slurmd -f "$dir/slurm.conf"
for _ in $(seq 150); do
  if sinfo -h -o %T 2>/dev/null | grep -q '^idle'; then
    echo "$dir/slurm.conf"
    exit 0
  fi
  sleep 0.2
done
echo "cluster.sh: the node did not become idle in 30 s; logs in $dir/log" >&2
sinfo >&2 || true
tail -20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
stop
exit 1
