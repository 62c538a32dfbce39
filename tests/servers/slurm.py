"""A throw-away single-node SLURM cluster for tests: munged, slurmctld and slurmd on 127.0.0.1.

Needs Debian's ``slurm-wlm`` (slurmctld, slurmd, slurm-client) and ``munge``, and root (slurmd
starts jobs as the submitting user). Everything the cluster writes lives under the folder handed
in: slurm.conf, munge key and socket, state and spool folders, logs, pid files; its ports are
free ones picked at start, so it clashes with nothing. It comes up in about a second.

    cluster = start_cluster(tmp_path)
    subprocess.run(["sbatch", "--wrap", "hostname"], env=cluster.env(), check=True)
    cluster.stop()

Choices in the written slurm.conf, each forced by a machine without systemd or cgroup
delegation (containers, CI):
* ProctrackType=proctrack/linuxproc, TaskPlugin=task/none, no cgroup.conf (proctrack/cgroup
  fails every step: "task 0 launch failed: Plugin initialization failed"). SLURM then accounts
  CPUs without pinning them; the pipeline pins torch's threads itself.
* No accounting (accounting_storage/none, jobcomp/none): ``sacct`` cannot work, so the SLURM
  profile's status command is ``squeue``.
* SelectType=select/cons_tres with CR_CPU_Memory, so CPUs and memory are consumable (two 1-CPU
  jobs share a 2-CPU node), and DefMemPerCPU, else a job asking no memory takes the whole node.
* The node's CPUs/sockets/cores/RealMemory are what ``slurmd -C`` reports (a larger RealMemory
  drains the node); NodeAddr=127.0.0.1, so its name need not resolve. SlurmctldHost must be the
  short host name (slurmctld compares it with gethostname()).
* A default partition (sbatch without ``-p`` needs one); ReturnToService=2 and a clean state
  folder, so the node comes up idle.
* munged gets a private socket and key (``--force`` as root); AuthInfo points every daemon and
  client at that socket.
* The client commands read ``SLURM_CONF``; wrappers first on PATH set it themselves, because the
  plugin's job step strips SLURM_* variables (see :func:`write_wrappers`).
"""

from __future__ import annotations

import atexit
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

PARTITION = "debug"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _free_ports(n: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < n:
        ports.add(_free_port())
    return sorted(ports)


def _node_hardware() -> dict[str, str]:
    """CPUs, Boards, SocketsPerBoard, CoresPerSocket, ThreadsPerCore, RealMemory as slurmd sees them."""
    out = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, check=True).stdout
    first = out.splitlines()[0]
    fields = dict(kv.split("=", 1) for kv in first.split() if "=" in kv)
    fields.pop("NodeName", None)
    return fields


@dataclass
class Cluster:
    root: Path
    conf: Path
    node: str
    cpus: int
    real_memory_mb: int
    partition: str = PARTITION
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    start_seconds: float = 0.0

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """Environment for anything that talks to the cluster: SLURM_CONF, and PATH led by
        wrappers of the client commands that set SLURM_CONF themselves (see write_wrappers)."""
        env = dict(os.environ if base is None else base)
        env["SLURM_CONF"] = str(self.conf)
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', os.defpath)}"
        return env

    def run(self, *cmd: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(list(cmd), env=self.env(), capture_output=True, text=True, check=check,
                              timeout=timeout)

    def log(self, name: str) -> str:
        p = self.root / "log" / f"{name}.log"
        return p.read_text(errors="replace") if p.exists() else ""

    def submitted_job_ids(self) -> list[int]:
        """Job ids the controller allocated (from slurmctld's log): the proof jobs went through it."""
        return [int(m) for m in re.findall(r"_slurm_rpc_submit_batch_job: JobId=(\d+)", self.log("slurmctld"))]

    def completed_job_ids(self) -> list[int]:
        return [int(m) for m in re.findall(r"_job_complete: JobId=(\d+) done", self.log("slurmctld"))]

    def stop(self) -> None:
        for name in ("slurmd", "slurmctld", "munged"):
            p = self.procs.get(name)
            if p is None or p.poll() is not None:
                continue
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
        # job steps started by slurmd (slurmstepd) are children of slurmd's session; any left over
        # are killed via their process group (each daemon was started in its own session).
        for p in self.procs.values():
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.procs.clear()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _wait(pred, timeout: float, what: str, cluster: Cluster, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        for name, p in cluster.procs.items():
            if p.poll() is not None:
                raise RuntimeError(f"{name} exited with {p.returncode} while waiting for {what}:\n"
                                   f"{cluster.log(name)[-3000:]}")
        try:
            last = pred()
            if last:
                return last
        except (subprocess.SubprocessError, OSError) as e:
            last = e
        time.sleep(interval)
    raise TimeoutError(f"timed out waiting for {what} (last: {last!r})\nslurmctld:\n"
                       f"{cluster.log('slurmctld')[-2000:]}\nslurmd:\n{cluster.log('slurmd')[-2000:]}")


def write_conf(root: Path, node: str, ctld_host: str, hw: dict[str, str], ports: list[int],
               overrides: dict[str, str] | None = None) -> Path:
    root = Path(root)
    for d in ("state", "spool", "log", "run", "munge"):
        (root / d).mkdir(parents=True, exist_ok=True)
    ctld_port, slurmd_port, srun_lo = ports[0], ports[1], ports[2]
    hw_line = " ".join(f"{k}={hw[k]}" for k in ("CPUs", "Boards", "SocketsPerBoard", "CoresPerSocket",
                                                    "ThreadsPerCore", "RealMemory") if k in hw)
    conf = f"""\
# Written by tests/servers/slurm.py for a throw-away single-node test cluster.
ClusterName=testcluster
SlurmctldHost={ctld_host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SrunPortRange={srun_lo}-{srun_lo + 50}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={root / 'munge' / 'munge.socket'}
StateSaveLocation={root / 'state'}
SlurmdSpoolDir={root / 'spool'}/slurmd-%n
SlurmctldPidFile={root / 'run' / 'slurmctld.pid'}
SlurmdPidFile={root / 'run' / 'slurmd-%n.pid'}
SlurmctldLogFile={root / 'log' / 'slurmctld.log'}
SlurmdLogFile={root / 'log' / 'slurmd.log'}
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU=1000
ReturnToService=2
MailProg=/bin/true
# short timers: a test cluster should react fast
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
MinJobAge=300
KillWait=5
Waittime=0
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
NodeName={node} NodeAddr=127.0.0.1 {hw_line} State=UNKNOWN
PartitionName={PARTITION} Nodes={node} Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
"""
    for key, value in (overrides or {}).items():  # e.g. {"ProctrackType": "proctrack/cgroup"}
        conf, n = re.subn(rf"^{key}=.*$", f"{key}={value}", conf, flags=re.M)
        if not n:
            conf += f"{key}={value}\n"
    path = root / "slurm.conf"
    path.write_text(conf)
    return path


CLIENTS = ("srun", "sbatch", "squeue", "scancel", "sinfo", "scontrol", "sacct", "sacctmgr", "sshare", "salloc")


def write_wrappers(root: Path, conf: Path) -> Path:
    """bin/<client> scripts that run the real client with SLURM_CONF set.

    Needed because snakemake-executor-plugin-slurm-jobstep (0.6.x) strips every SLURM_* variable
    except the job's identity (SLURM_JOB_ID, ...) from the environment of the ``srun`` it starts
    inside the batch job, SLURM_CONF included. Without a config at /etc/slurm/slurm.conf (or a
    configless slurmd's /run/slurm/conf) that srun then fails with
    "resolve_ctls_from_dns_srv: res_nsearch error ... Could not establish a configuration
    source". PATH survives (sbatch --export=ALL), so wrappers first on PATH keep the cluster
    private to this temp dir instead of writing /etc/slurm.
    """
    bindir = Path(root) / "bin"
    bindir.mkdir(parents=True, exist_ok=True)
    for name in CLIENTS:
        real = shutil.which(name, path=os.defpath + ":/usr/bin:/usr/sbin")
        if real is None:
            continue
        w = bindir / name
        w.write_text(f'#!/bin/sh\nSLURM_CONF={shlex.quote(str(conf))} exec {shlex.quote(real)} "$@"\n')
        w.chmod(0o755)
    return bindir


def start_cluster(tmpdir, timeout: float = 60.0, conf_overrides: dict[str, str] | None = None) -> Cluster:
    """Start munged, slurmctld and slurmd under ``tmpdir``; return when ``srun hostname`` works."""
    for exe in ("munged", "slurmctld", "slurmd", "sinfo", "srun"):
        if shutil.which(exe) is None:
            raise RuntimeError(f"{exe} not found: apt-get install --no-install-recommends slurm-wlm munge")
    t0 = time.monotonic()
    root = Path(tmpdir).resolve()
    root.mkdir(parents=True, exist_ok=True)
    ctld_host = socket.gethostname().split(".")[0]
    node = ctld_host  # one node, the same machine; NodeAddr=127.0.0.1 so its name need not resolve
    hw = _node_hardware()
    conf = write_conf(root, node, ctld_host, hw, _free_ports(3), conf_overrides)
    write_wrappers(root, conf)
    cluster = Cluster(root=root, conf=conf, node=node, cpus=int(hw["CPUs"]),
                      real_memory_mb=int(hw["RealMemory"]))

    munge_dir = root / "munge"
    os.chmod(munge_dir, 0o755)  # clients (any user) need x on the socket's directory
    (root / "spool" / f"slurmd-{node}").mkdir(parents=True, exist_ok=True)
    key = munge_dir / "munge.key"
    key.write_bytes(os.urandom(1024))
    os.chmod(key, 0o400)
    logs = root / "log"

    def popen(name, cmd):
        out = open(logs / f"{name}.stdout", "wb")
        cluster.procs[name] = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                               stdin=subprocess.DEVNULL, env=cluster.env(),
                                               start_new_session=True)

    try:
        popen("munged", ["munged", "--foreground", "--force",
                         f"--socket={munge_dir / 'munge.socket'}", f"--key-file={key}",
                         f"--pid-file={munge_dir / 'munged.pid'}", f"--log-file={logs / 'munged.log'}",
                         f"--seed-file={munge_dir / 'munged.seed'}"])
        _wait(lambda: (munge_dir / "munge.socket").exists(), 10, "munged socket", cluster, 0.05)
        # -D foreground, -c clean start (ignore old state), -i ignore errors in state files
        popen("slurmctld", ["slurmctld", "-D", "-c", "-i", "-f", str(conf)])
        _wait(lambda: cluster.run("scontrol", "ping", check=False, timeout=10).stdout.count("UP") > 0,
              timeout, "slurmctld to answer ping", cluster)
        popen("slurmd", ["slurmd", "-D", "-N", node, "-f", str(conf)])

        def idle():
            r = cluster.run("sinfo", "-h", "-N", "-o", "%N %t", check=False, timeout=10)
            return r.returncode == 0 and f"{node} idle" in r.stdout

        _wait(idle, timeout, "node idle in sinfo", cluster)
        r = cluster.run("srun", "-N1", "-n1", "-t", "1", "hostname", timeout=timeout)
        if not r.stdout.strip():
            raise RuntimeError(f"srun hostname printed nothing: {r.stderr}")
    except BaseException:
        cluster.stop()
        raise
    atexit.register(cluster.stop)  # daemons run in their own sessions: never leave them behind
    cluster.start_seconds = time.monotonic() - t0
    return cluster


def missing() -> str | None:
    """Why a cluster cannot start here (None when it can)."""
    absent = [exe for exe in ("munged", "slurmctld", "slurmd", "sbatch", "squeue") if shutil.which(exe) is None]
    if absent:
        return f"{', '.join(absent)} not found: apt-get install --no-install-recommends slurm-wlm munge"
    if os.geteuid() != 0:
        return "slurmd must run as root to start jobs"
    return None
