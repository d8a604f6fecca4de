#!/usr/bin/python3
"""Runs the nnworld kernel benchmarks and their PyTorch peers on the same threads; prints both.

  /usr/bin/python3 bench/run.py --bench build/release/bench/nnworld_bench [--threads N]
      [--rounds R] [--min-time S] [--filter REGEX] [--json FILE] [--markdown FILE]

Every round runs the whole C++ binary (Google Benchmark, --benchmark_format=json, median of 3
repetitions per row), then the whole PyTorch peer (bench/peers/torch_network.py, median of
≥ 5 samples per row; the log_det rows go to the NumPy peer bench/peers/numpy_thermo.py, the
split_step, ensemble_em and network_ensemble rows to bench/peers/numpy_trainable.py, the strings_update rows to
bench/peers/numpy_hidden.py, the curvature and grid_curvature rows to
bench/peers/numpy_geometry.py, the holography rows to bench/peers/scipy_holography.py; the
strings_colmajor rows are set against the strings_update peer of the same operation). The two
sides alternate, so
slow phases of a shared machine hit both; each side's time for a row is its fastest round. The
table gives, per row: both times, the ratio peer/nnworld (> 1: nnworld is faster), nnworld's GB/s
and GFLOP/s under the byte and flop models of bench/RESULTS.md, and for memory-bound rows the
fraction of the measured copy bandwidth (row `copy`, memcpy of 256 MiB, read + write bytes).

The peer gets PyTorch's best setup on this machine: the OpenBLAS core autodetected
(OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed from its environment), ATen's AVX-512 kernels where
the CPU has them, OMP_WAIT_POLICY=passive (its OpenMP threads otherwise spin against OpenBLAS's
own pthreads on the same cores), torch.set_num_threads(N).
"""

import argparse
import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import results_md

HERE = Path(__file__).resolve().parent
PEER = HERE / "peers" / "torch_network.py"
# Rows whose peer is not PyTorch: (row-name prefix, peer script). The rest go to PEER.
OTHER_PEERS = [("log_det/", HERE / "peers" / "numpy_thermo.py"),
               ("split_step/", HERE / "peers" / "numpy_trainable.py"),
               ("ensemble_em/", HERE / "peers" / "numpy_trainable.py"),
               ("network_ensemble/", HERE / "peers" / "numpy_trainable.py"),
               ("strings_update", HERE / "peers" / "numpy_hidden.py"),
               ("curvature/", HERE / "peers" / "numpy_geometry.py"),
               ("grid_curvature/", HERE / "peers" / "numpy_geometry.py"),
               ("holography/", HERE / "peers" / "scipy_holography.py")]
# Rows timed against the peer of another row that computes the same thing: the column-major
# strings layout (bench_hidden.cpp) is the strings_update operation stored another way, and the
# NumPy peer of strings_update already times its best formulation over both layouts.
SAME_PEER_AS = (("strings_colmajor/", "strings_update/"),)


def peer_row_of(row):
    for prefix, other in SAME_PEER_AS:
        if row.startswith(prefix):
            return other + row[len(prefix):]
    return row
PYTHON = "/usr/bin/python3"

# Targets (bench/RESULTS.md): at least PyTorch's speed on every row; the sparse and permutation
# rows at ≥ 50 % of the copy bandwidth.
BANDWIDTH_TARGET = 0.5


def is_memory_bound(row):
    """Rows whose time is set by memory traffic: one state (batch 1), sparse, permutation."""
    if row.startswith(("copy/", "peak/", "log_det/", "split_step/", "ensemble_em/",
                       "network_ensemble/", "curvature/",
                       "grid_curvature/", "holography/")):
        return False
    return "/batch:" not in row or row.endswith("/batch:1")


def has_bandwidth_target(row):
    return row.startswith("state_map/sparse/") or row.startswith("state_map/permutation")


def l3_bytes():
    """Size of the last-level cache (sysfs), or None."""
    for idx in (3, 2):
        try:
            text = Path(f"/sys/devices/system/cpu/cpu0/cache/index{idx}/size").read_text().strip()
        except OSError:
            continue
        mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1], 1)
        return int(text.rstrip("KMG")) * mult
    return None


def cpu_has_avx512():
    try:
        return " avx512f " in (" " + Path("/proc/cpuinfo").read_text().replace("\n", " ") + " ")
    except OSError:
        return False


def run_ours(bench, threads, min_time, filt):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    cmd = [bench, f"--threads={threads}", "--benchmark_format=json",
           f"--benchmark_min_time={min_time}", "--benchmark_repetitions=3",
           "--benchmark_report_aggregates_only=true"]
    if filt:
        cmd.append(f"--benchmark_filter={filt}")
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"error: {bench} exited with {proc.returncode}")
    doc = json.loads(proc.stdout)
    out = {}
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
    for b in doc["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        row = re.sub(r"/real_time$", "", b["run_name"])
        out[row] = {"seconds": b["real_time"] * scale[b["time_unit"]],
                    "bytes": b.get("bytes_model", 0.0), "flops": b.get("flop_model", 0.0)}
        # Result checksums (counters check_*) that the peer reports too (geometry rows).
        checks = {k: v for k, v in b.items() if k.startswith("check_")}
        if checks:
            out[row]["check"] = checks
    return out, doc.get("context", {})


def peer_of(row):
    for prefix, script in OTHER_PEERS:
        if row.startswith(prefix):
            return script
    return PEER


def run_peers(rows, threads, min_time):
    """Runs every peer script on its rows; returns (results by row, {script stem: info})."""
    out, infos = {}, {}
    for script in dict.fromkeys(peer_of(r) for r in rows):
        o, infos[script.stem] = run_peer(script, [r for r in rows if peer_of(r) == script],
                                         threads, min_time)
        out.update(o)
    return out, infos


def run_peer(script, rows, threads, min_time):
    env = dict(os.environ)
    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        env.pop(k, None)
    env.update(OMP_NUM_THREADS=str(threads), OMP_WAIT_POLICY="passive")
    if cpu_has_avx512():
        env["ATEN_CPU_CAPABILITY"] = "avx512"
    cmd = [PYTHON, str(script), "--threads", str(threads), "--min-time", str(min_time),
           "--rows", *rows]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"error: {script} exited with {proc.returncode}")
    out, info = {}, {}
    for line in proc.stdout.splitlines():
        d = json.loads(line)
        if "info" in d:
            info = d["info"]
        elif "error" not in d:
            out[d["row"]] = d
    return out, info


def fmt_time(s):
    if s is None:
        return "—"
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if s < 1.0:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def build_table(rows, ours, peer, copy_bw, cache_bytes, peak_gflops=None):
    """Rows of the table as lists of strings, plus the list of missed targets. A fraction of
    the copy bandwidth is marked * where the row's bytes fit in the last-level cache. The
    roofline column is the fraction of the row's own roof: the copy bandwidth for memory-bound
    rows, the GEMM FLOP rate (row peak/gemm) for the others."""
    table, misses = [], []
    for row in rows:
        o = ours.get(row)
        p = peer.get(row)
        t_o = o["seconds"] if o else None
        t_p = p["seconds"] if p else None
        ratio = t_p / t_o if (t_o and t_p) else None
        gbs = o["bytes"] / t_o / 1e9 if (o and o["bytes"]) else None
        gfs = o["flops"] / t_o / 1e9 if (o and o["flops"]) else None
        frac = gbs / copy_bw if (gbs and copy_bw and is_memory_bound(row)) else None
        roof = frac
        if roof is None and gfs and peak_gflops and not row.startswith("peak/"):
            roof = gfs / peak_gflops
        verdict = []
        if ratio is not None and ratio < 1.0 and not row.startswith(("copy/", "peak/")):
            verdict.append("slower than peer")
        if has_bandwidth_target(row) and frac is not None and frac < BANDWIDTH_TARGET:
            verdict.append(f"< {BANDWIDTH_TARGET:.0%} copy bw")
        if verdict:
            misses.append((row, verdict))
        table.append([row, fmt_time(t_o), fmt_time(t_p),
                      f"{ratio:.2f}" if ratio else "—",
                      f"{gbs:.1f}" if gbs else "—",
                      (f"{frac:.0%}" + ("*" if cache_bytes and o["bytes"] <= cache_bytes else ""))
                      if frac is not None else "—",
                      f"{gfs:.1f}" if gfs else "—",
                      (f"{roof:.0%}" + (" bw" if frac is not None else " flop"))
                      if roof is not None else "—",
                      "MISS: " + ", ".join(verdict) if verdict else "ok"])
    return table, misses


HEADER = ["row", "nnworld", "peer", "peer/nnworld", "GB/s", "of copy bw", "GFLOP/s", "roofline",
          "target"]


def print_table(table, out):
    widths = [max(len(HEADER[i]), *(len(r[i]) for r in table)) for i in range(len(HEADER))]
    line = lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    out.write(line(HEADER) + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for r in table:
        out.write(line(r) + "\n")


def markdown_table(table):
    lines = ["| " + " | ".join(HEADER) + " |",
             "|" + "|".join(["---"] + ["---:"] * (len(HEADER) - 2) + ["---"]) + "|"]
    for r in table:
        lines.append("| " + " | ".join(["`" + r[0] + "`", *r[1:]]) + " |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", required=True, help="path of the nnworld_bench executable")
    ap.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds of both sides")
    ap.add_argument("--min-time", type=float, default=0.1,
                    help="seconds per Google Benchmark repetition (the peer uses 3×)")
    ap.add_argument("--filter", default="", help="regex on row names (both sides)")
    ap.add_argument("--json", help="write all measurements to this file")
    ap.add_argument("--markdown", help="write the table as Markdown to this file")
    ap.add_argument("--update", help="rewrite the generated kernels section of this Markdown "
                    "file (bench/RESULTS.md)")
    args = ap.parse_args()

    bench = str(Path(args.bench).resolve())
    if not os.access(bench, os.X_OK):
        raise SystemExit(f"error: --bench {args.bench}: not an executable "
                         "(build it first: cmake --build --preset release)")
    listed = subprocess.run([bench, "--benchmark_list_tests=true"] +
                            ([f"--benchmark_filter={args.filter}"] if args.filter else []),
                            capture_output=True, text=True, check=True).stdout.split()
    rows = [re.sub(r"/real_time$", "", r) for r in listed]
    peer_rows = list(dict.fromkeys(peer_row_of(r) for r in rows))

    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"warning: load average {load:.2f}: other work shares the cores, timings will be "
              "noisy", file=sys.stderr)
    t0 = time.time()
    ours_rounds, peer_rounds = [], []
    context, info, infos = {}, {}, {}
    for k in range(args.rounds):
        print(f"round {k + 1}/{args.rounds}: nnworld ({len(rows)} rows, {args.threads} threads)",
              file=sys.stderr, flush=True)
        o, context = run_ours(bench, args.threads, args.min_time, args.filter)
        ours_rounds.append(o)
        print(f"round {k + 1}/{args.rounds}: peers", file=sys.stderr, flush=True)
        p, infos = (run_peers(peer_rows, args.threads, 3 * args.min_time) if peer_rows
                    else ({}, {}))
        info = infos.get(PEER.stem, {})
        peer_rounds.append(p)

    def best(rounds):
        out = {}
        for r in rounds:
            for row, d in r.items():
                if row not in out or d["seconds"] < out[row]["seconds"]:
                    out[row] = d
        return out

    ours, peer = best(ours_rounds), best(peer_rounds)
    for row in rows:
        if peer_row_of(row) != row and peer_row_of(row) in peer:
            peer[row] = peer[peer_row_of(row)]
    copy_row = next((r for r in rows if r.startswith("copy/")), None)
    copy_bw = None
    if copy_row and copy_row in ours:
        copy_bw = ours[copy_row]["bytes"] / ours[copy_row]["seconds"] / 1e9

    peak_row = next((r for r in rows if r.startswith("peak/gemm")), None)
    peak_gflops = None
    if peak_row and peak_row in ours and ours[peak_row]["flops"]:
        peak_gflops = ours[peak_row]["flops"] / ours[peak_row]["seconds"] / 1e9

    cache = l3_bytes()
    table, misses = build_table(rows, ours, peer, copy_bw, cache, peak_gflops)
    out = io.StringIO()
    peers = []
    if PEER.stem in infos:
        peers.append(f"PyTorch {info.get('torch', '?')} (OpenBLAS core "
                     f"{info.get('openblas_core', '?')}, ATen {info.get('cpu_capability', '?')})")
    if "numpy_thermo" in infos:
        peers.append(f"NumPy {infos['numpy_thermo'].get('numpy', '?')}")
    if "numpy_trainable" in infos:
        t = infos["numpy_trainable"]
        peers.append(f"NumPy {t.get('numpy', '?')} / SciPy {t.get('scipy', '?')} / PyTorch "
                     f"{t.get('torch', '?')} (trainable rows)")
    if "numpy_hidden" in infos:
        peers.append(f"NumPy {infos['numpy_hidden'].get('numpy', '?')} (strings rows)")
    if "numpy_geometry" in infos:
        peers.append(f"NumPy {infos['numpy_geometry'].get('numpy', '?')} (curvature rows)")
    if "scipy_holography" in infos:
        t = infos["scipy_holography"]
        peers.append(f"SciPy {t.get('scipy', '?')} / NumPy {t.get('numpy', '?')} "
                     f"(holography rows)")
    out.write(f"nnworld kernels vs {' and '.join(peers)}, {args.threads} threads, "
              f"best of {args.rounds} rounds, {time.time() - t0:.0f} s, load average "
              f"{load:.2f} before / {os.getloadavg()[0]:.2f} after\n")
    if copy_bw:
        out.write(f"copy bandwidth (memcpy 256 MiB, read + write): {copy_bw:.1f} GB/s\n")
    if peak_gflops:
        out.write(f"float64 FLOP rate (row {peak_row}): {peak_gflops:.1f} GFLOP/s\n")
    out.write("\n")
    preamble = out.getvalue()
    print_table(table, out)
    after_start = len(out.getvalue())
    if cache:
        out.write(f"* the row's bytes fit in the {cache >> 20} MiB last-level cache: "
                  "cache-bound, not memory-bound\n")
    out.write("\n")
    if misses:
        out.write(f"{len(misses)} row(s) miss a target (see bench/RESULTS.md):\n")
        for row, v in misses:
            out.write(f"  {row}: {', '.join(v)}\n")
    else:
        out.write("every row meets its target\n")
    # Rows whose peer timed several formulations: each one's best round (the table shows the
    # fastest).
    variants = {}
    for r in peer_rounds:
        for row, d in r.items():
            for name, sec in d.get("variants", {}).items():
                v = variants.setdefault(row, {})
                v[name] = min(sec, v.get(name, sec))
    if variants:
        out.write("\npeer formulations (best round each; peer/nnworld against each):\n")
        for row, v in variants.items():
            t_o = ours.get(row, {}).get("seconds")
            for name, sec in sorted(v.items(), key=lambda kv: kv[1]):
                ratio = f"{sec / t_o:.2f}" if t_o else "—"
                out.write(f"  {row}: {name}: {fmt_time(sec)} ({ratio})\n")

    # Rows whose both sides report result checksums: how far apart the two results are.
    agreement = [(row, ours[row]["check"], peer[row]["check"]) for row in rows
                 if "check" in ours.get(row, {}) and "check" in peer.get(row, {})]
    if agreement:
        out.write("\nagreement with the peer (checksums over all points; relative difference "
                  "|a - b| / max(|a|, |b|)):\n")
        for row, a, b in agreement:
            parts, worst = [], 0.0
            for key in sorted(set(a) & set(b)):
                den = max(abs(a[key]), abs(b[key]))
                rel = abs(a[key] - b[key]) / den if den > 0 else 0.0
                worst = max(worst, rel)
                parts.append(f"{key[6:]} {a[key]:.12g} vs {b[key]:.12g} ({rel:.2g})")
            out.write(f"  {row}: max {worst:.2g}; " + "; ".join(parts) + "\n")

    report = out.getvalue()
    sys.stdout.write(report)
    if args.update:
        after = report[after_start:].strip()
        text = (preamble.strip().replace("\n", "  \n") + "\n\n" + markdown_table(table) +
                ("\n```\n" + after + "\n```\n" if after else ""))
        results_md.replace_section(args.update, "kernels",
                                   "Every kernel against its peer (generated by make bench)", text)
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"threads": args.threads, "rounds": args.rounds, "copy_gbps": copy_bw,
             "context": context, "torch": info, "peers": infos, "ours": ours_rounds, "peer": peer_rounds},
            indent=1))
    if args.markdown:
        Path(args.markdown).write_text(markdown_table(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
