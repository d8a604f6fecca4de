# nnworld — the two commands a fresh Debian machine needs are `make run` and `make test`.
# Every target installs what is missing (scripts/install-deps) and builds first.
.PHONY: all deps deps-bench build run test check bench format format-check clean

JOBS ?= $(shell nproc)
PRESET ?= release
BUILD := build/$(PRESET)
CONFIG ?= experiments/world.toml
OUT ?= out/world

all: build

deps:
	@scripts/install-deps

deps-bench:
	@scripts/install-deps --bench

build: deps
	@cmake --preset $(PRESET) >/dev/null
	@cmake --build --preset $(PRESET) -j $(JOBS)

# Runs the default world suite into out/world (summary.json, data.h5, report.html); a second
# `make run` replaces the earlier suite's files there (--overwrite keeps any file of your own).
run: build
	$(BUILD)/nnworld run $(CONFIG) --out $(OUT) --overwrite

# Every test: C++ (GoogleTest through CTest), the report's Python tests, clang-format.
test: build
	ctest --preset $(PRESET) -j $(JOBS)

# The tests under AddressSanitizer + UndefinedBehaviorSanitizer. Cli.WorldRunsAllSubRuns and
# Determinism.WorldSuiteGivesTheSameBitsOnOneAndTwoThreads (the whole default suite end to end,
# ~10 min each under the sanitizers) are left to `make test`; every config of the suite has its
# own tests that run here. The tests that start nnworld under mpirun (Mpi.*,
# Resume.RunKilledOnOneRankResumesOnThreeRanks) are left to `make test` too: Open MPI's own
# start-up allocations, never freed, are leaks to LeakSanitizer.
check: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --preset asan -j $(JOBS) -E '^(Cli\.WorldRunsAllSubRuns|Determinism\.WorldSuite.*|Mpi\..*|Resume\.RunKilledOnOneRankResumesOnThreeRanks)$$'

# Every kernel against its peer (PyTorch, NumPy, SciPy) on the same threads, with the fraction of
# the machine's roofline (copy bandwidth and GEMM FLOP rate, both measured in the same run), then
# strong and weak scaling over 1–4 MPI ranks × 1–2 threads; both regenerate their sections of
# bench/RESULTS.md. BENCH_ROUNDS=1 for a quick pass.
BENCH_ROUNDS ?= 3
bench: deps-bench build
	/usr/bin/python3 bench/run.py --bench $(BUILD)/bench/nnworld_bench --rounds $(BENCH_ROUNDS) \
	  --update bench/RESULTS.md
	/usr/bin/python3 bench/scaling.py --exe $(BUILD)/bench/nnworld_scaling --update bench/RESULTS.md

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.hpp')

format-check:
	@clang-format --dry-run -Werror $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf build out
