"""The timing rule shared by the peers of bench/run.py.

measure(fn, min_time): `warmup` calls, then one timed call to size a sample of k calls
(k·one ≥ 2 ms); samples until there are at least `least` of them (`least_slow` when one call
takes more than 0.1 s, to bound the time of the largest rows) and at least `min_time` seconds;
returns the median time of one call.

openblas_info(threads): sets OpenBLAS (when NumPy's BLAS is OpenBLAS) to `threads` and returns
its core, config and thread count for the peer's info line.
"""
import ctypes
import math
import statistics
import time


def measure(fn, min_time, warmup=1, least=5, least_slow=3):
    for _ in range(warmup):
        fn()
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-9)
    k = max(1, int(math.ceil(2e-3 / one)))
    need = least_slow if one > 0.1 else least
    samples, total = [], 0.0
    while len(samples) < need or total < min_time:
        t0 = time.perf_counter()
        for _ in range(k):
            fn()
        dt = time.perf_counter() - t0
        total += dt
        samples.append(dt / k)
        if len(samples) >= 1000:
            break
    return statistics.median(samples)


def openblas_info(threads):
    for name in ("libblas.so.3", "libopenblas.so.0"):
        try:
            lib = ctypes.CDLL(name)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            lib.openblas_set_num_threads(threads)
            return {"openblas_core": lib.openblas_get_corename().decode(),
                    "openblas_config": lib.openblas_get_config().decode(),
                    "openblas_threads": lib.openblas_get_num_threads()}
        except (OSError, AttributeError):
            continue
    return {}
