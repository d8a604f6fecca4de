"""The timing rule shared by the peers of bench/run.py.

measure(fn, min_time): `warmup` calls, then one timed call to size a sample of k calls
(k·one ≥ 2 ms); samples until there are at least `least` of them (`least_slow` when one call
takes more than 0.1 s, to bound the time of the largest rows) and at least `min_time` seconds;
returns the median time of one call.
"""
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
