"""What Linux's /proc says about a process and the machine: CPU time, peak memory, CPU model.

CPU times come in clock ticks (usually 10 ms), so a measurement is only as fine as a tick per
process; the benchmark windows are long enough (seconds) for that to be a small error.
"""

import os
import platform

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_us(pid, tid=None):
    """utime + stime of every thread of pid so far, in µs; with tid, of that thread only (the
    main thread's tid is the pid)."""
    path = f"/proc/{pid}/task/{tid}/stat" if tid is not None else f"/proc/{pid}/stat"
    with open(path, encoding="ascii") as f:
        stat = f.read()
    # The command name (field 2) may contain spaces and parentheses; fields after it do not.
    fields = stat[stat.rindex(")") + 2:].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) * 1_000_000 // CLK_TCK


def runtime_us(pid):
    """Time every live thread of pid has spent on a CPU so far, in µs, from the scheduler's own
    nanosecond account (/proc/PID/task/TID/schedstat): fine enough for a node that is idle,
    where the tick-based times of cpu_us see only a few ticks. Threads that already exited are
    not counted, so use it across windows in which none do."""
    total_ns = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat", encoding="ascii") as f:
                total_ns += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass  # exited meanwhile
    return total_ns / 1000


def _status_kib(pid, field):
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/{pid}/status has no {field}")


def peak_rss_kib(pid):
    """VmHWM: the most resident memory pid has ever used, in KiB. It counts every page of the
    shared libraries the process touched, though all nodes share those pages."""
    return _status_kib(pid, "VmHWM")


def anon_rss_kib(pid):
    """RssAnon now: the process's own memory (heap, stacks), without shared library pages."""
    return _status_kib(pid, "RssAnon")


def machine_busy_us():
    """CPU time the whole machine spent not idle (all CPUs, all processes) since boot, in µs."""
    with open("/proc/stat", encoding="ascii") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    # guest time is already counted in user time, so only the first eight fields add up.
    return (sum(fields[:8]) - idle) * 1_000_000 // CLK_TCK


def self_cpu_us():
    """CPU time of this (driver) process so far, in µs."""
    t = os.times()
    return int((t.user + t.system) * 1_000_000)


def cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine():
    """The facts a result needs to be compared with another machine's."""
    with open("/proc/loadavg", encoding="ascii") as f:
        load1 = float(f.read().split()[0])
    return {"nproc": len(os.sched_getaffinity(0)), "cpu": cpu_model(),
            "kernel": platform.release(), "load1_at_start": load1}
