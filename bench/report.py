"""Turning runs into numbers people read: percentiles, medians of repeats, a Markdown table,
and a latency CDF drawn by gnuplot (when it is installed)."""

import shutil
import statistics
import subprocess


def percentiles(values):
    """p50/p90/p99 (nearest rank) and max, or None for each when there are no values."""
    ordered = sorted(values)
    if not ordered:
        return {"p50": None, "p90": None, "p99": None, "max": None}

    def rank(p):
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]
    return {"p50": rank(50), "p90": rank(90), "p99": rank(99), "max": ordered[-1]}


def label(result):
    p = result["params"]
    extra = " " + " ".join(p["node_args"]) if p.get("node_args") else ""
    if result["mode"] == "latency":
        return f"latency N={p['nodes']} R={p['rate']:g}/s M={p['messages']}{extra}"
    if result["mode"] == "sync":
        return f"sync K={p['events']} A={p['authors']}{extra}"
    if result["mode"] == "idle":
        return f"idle N={p['nodes']} {p['duration_s']:g} s{extra}"
    if result["mode"] == "file":
        return f"file {p['size'] / 2**20:g} MiB to {p['receivers']}{extra}"
    return f"throughput N={p['nodes']} {p['duration_s']:g} s{extra}"


# --- medians of repeats ---------------------------------------------------------------------------


def _flatten(d, prefix=""):
    out = {}
    for key, value in d.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[f"{prefix}{key}"] = value
    return out


def medians(results):
    """Groups runs by label; for each, the median of every numeric field over its runs."""
    groups = {}
    for r in results:
        groups.setdefault(label(r), []).append(_flatten(r))
    summary = {}
    for name, runs in groups.items():
        keys = set().union(*runs)
        summary[name] = {k: statistics.median(r[k] for r in runs if k in r) for k in keys}
        summary[name]["runs"] = len(runs)
        summary[name]["mode"] = name.split()[0]
    return summary


# --- Markdown ---------------------------------------------------------------------------------------


def _fmt(value, digits=2):
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer() or digits == 0:
        return f"{value:.{digits}f}"
    return f"{value:g}"


LATENCY_COLUMNS = [  # header, field, digits
    ("runs", "runs", 0), ("delivery %", "delivery", 1), ("p50 ms", "latency_ms.p50", 2),
    ("p90 ms", "latency_ms.p90", 2), ("p99 ms", "latency_ms.p99", 2),
    ("max ms", "latency_ms.max", 1), ("CPU µs/deliv", "cpu_us_per_delivery", 0),
    ("RSS MiB mean", "rss_mib.mean", 1), ("RSS MiB max", "rss_mib.max", 1),
    ("anon MiB", "anon_rss_mib.mean", 1), ("membership s", "membership_s", 2), ("bytes/deliv", "bytes_per_delivery", 0),
    ("frames/deliv", "frames_per_delivery", 1), ("copies/event", "copies_per_event", 2),
    ("others' CPU %", "cpu_pct.others", 0)]

THROUGHPUT_COLUMNS = [
    ("runs", "runs", 0), ("msg/s to all", "msgs_per_s_to_all", 0),
    ("accepted msg/s", "accept_rate", 0), ("delivery %", "delivery", 1), ("lost", "lost", 0),
    ("links dropped", "links_dropped_queue_full", 0),
    ("publisher blocked %", "publisher_blocked_pct", 0), ("p50 ms", "latency_ms.p50", 1),
    ("p99 ms", "latency_ms.p99", 1), ("CPU µs/deliv", "cpu_us_per_delivery", 0),
    ("RSS MiB max", "rss_mib.max", 1), ("anon MiB", "anon_rss_mib.mean", 1),
    ("bytes/deliv", "bytes_per_delivery", 0), ("copies/event", "copies_per_event", 2),
    ("grafts", "grafts", 0), ("others' CPU %", "cpu_pct.others", 0)]


SYNC_COLUMNS = [
    ("runs", "runs", 0), ("sync s", "sync_s", 2), ("from ready s", "sync_from_ready_s", 2),
    ("stored s", "stored_s", 2), ("events/s", "events_per_s", 0), ("MB/s", "mb_per_s", 1),
    ("bytes received", "bytes_received", 0), ("store bytes/100k", "store_bytes_per_100k", 0),
    ("newcomer CPU s", "cpu_s.newcomer", 2), ("of it loop s", "cpu_s.newcomer_loop", 2),
    ("founder CPU s", "cpu_s.founder", 2),
    ("others' CPU %", "cpu_pct.others", 0)]

IDLE_COLUMNS = [
    ("runs", "runs", 0), ("CPU % of a core per node", "cpu_pct_of_core.per_node_mean", 2),
    ("per node max", "cpu_pct_of_core.per_node_max", 2),
    ("whole room", "cpu_pct_of_core.room_total", 1),
    ("bytes/s per node", "bytes_sent_per_node_s", 0),
    ("frames/s per node", "frames_sent_per_node_s", 1),
    ("datagrams/s per node", "datagrams_sent_per_node_s", 1),
    ("membership s", "membership_s", 2), ("others' CPU %", "cpu_pct.others", 0)]

FILE_COLUMNS = [
    ("runs", "runs", 0), ("MB/s slowest", "mb_per_s.min", 0), ("MB/s median", "mb_per_s.median", 0),
    ("s slowest", "seconds.max", 2), ("intact", "complete", 0), ("chat p50 ms", "chat_ms.p50", 2),
    ("chat p99 ms", "chat_ms.p99", 2), ("chat max ms", "chat_ms.max", 1), ("chat lines", "chat_lines", 0),
    ("sender CPU s", "cpu_s.sender", 2), ("receivers CPU s", "cpu_s.receivers", 2),
    ("RSS MiB max", "rss_mib_max", 1), ("offer s", "offer_s", 2)]

MODE_COLUMNS = (("latency", LATENCY_COLUMNS), ("throughput", THROUGHPUT_COLUMNS),
                ("sync", SYNC_COLUMNS), ("idle", IDLE_COLUMNS), ("file", FILE_COLUMNS))


def _table(rows, columns):
    lines = ["| run | " + " | ".join(h for h, _, _ in columns) + " |",
             "|---|" + "---:|" * len(columns)]
    for name, row in rows:
        cells = []
        for _, key, digits in columns:
            value = row.get(key)
            if key == "delivery" and value is not None:
                value = 100 * value
            cells.append(_fmt(value, digits))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def markdown(results, raw=False):
    """One table per mode, each row the medians of a configuration's runs; with raw, then one
    row per run as well."""
    summary = medians(results)
    parts = []
    for mode, columns in MODE_COLUMNS:
        rows = [(name, row) for name, row in summary.items() if row["mode"] == mode]
        if rows:
            parts.append(_table(rows, columns))
    if raw:
        for mode, columns in MODE_COLUMNS:
            rows = [(f"{label(r)} at {r['date'][11:19]}", _flatten(r))
                    for r in results if r["mode"] == mode]
            if rows:
                parts.append("Raw runs:\n\n" + _table(rows, [c for c in columns
                                                               if c[1] != "runs"]))
    machine = results[0]["machine"]
    parts.append(f"Machine: {machine['nproc']} CPUs, {machine['cpu']}; "
                 f"{results[0]['date']}; medians of the runs listed.")
    return "\n\n".join(parts)


# --- CDF plot -------------------------------------------------------------------------------------


def write_cdf(path, latencies, points=1000):
    """At most `points` (latency ms, fraction of deliveries at or below it) rows."""
    ordered = sorted(latencies)
    n = len(ordered)
    step = max(1, n // points)
    with open(path, "w", encoding="ascii") as f:
        for i in list(range(0, n, step)) + ([n - 1] if n and (n - 1) % step else []):
            f.write(f"{max(ordered[i], 0.001):.4f} {(i + 1) / n:.5f}\n")


def plot_cdf(out_dir, series):
    """series: [(title, latencies ms)]. Writes latency-cdf.png with gnuplot; returns its path,
    or None (with the reason printed) when gnuplot is missing or fails."""
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        print("# gnuplot not found (scripts/setup-deps installs gnuplot-nox): no CDF plot")
        return None
    plots = []
    for i, (title, latencies) in enumerate(series):
        if not latencies:
            continue
        data = out_dir / f"cdf-{i}.dat"
        write_cdf(data, latencies)
        plots.append(f"'{data.name}' using 1:2 with lines lw 2 title '{title}'")
    if not plots:
        return None
    script = "\n".join([
        "set terminal pngcairo size 1000,640 noenhanced",
        "set output 'latency-cdf.png'",
        "set title 'peerchat delivery latency (receiver ts_us - author sent_us)'",
        "set xlabel 'latency, ms (log scale)'", "set ylabel 'fraction of deliveries'",
        "set logscale x", "set yrange [0:1]", "set grid", "set key below",
        "plot " + ", \\\n     ".join(plots), ""])
    (out_dir / "latency-cdf.gp").write_text(script, encoding="ascii")
    done = subprocess.run([gnuplot, "latency-cdf.gp"], cwd=out_dir, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        print(f"# gnuplot failed: {done.stderr.strip()}")
        return None
    return out_dir / "latency-cdf.png"
