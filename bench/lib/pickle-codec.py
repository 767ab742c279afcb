"""Baseline of bench/suites/ipc.mjs's pickle rows: Python's own pickle (the C _pickle module).

  pickle-codec.py generate <floats|dict> <path>
      -> writes the protocol 4 pickle of the workload to <path>:
         floats: a list of 131072 deterministic pseudo-random non-integer floats (1 MiB of doubles)
         dict:   {'key0': 0, 'key1': 7, ..., 'key9999': 69993}
  pickle-codec.py <loads|dumps> <path> <ms>
      -> loads: pickle.loads(<the file's bytes>) over and over;
         dumps: pickle.dumps(<the file's value>, protocol=4) over and over;
         after a 200 ms warm-up, for <ms> (at most MAX_OPS times), prints "<ops> <ns>"
"""
import pickle
import random
import sys
import time

FLOATS = 131072  # 1 MiB of doubles
ENTRIES = 10_000
WARMUP_NS = 200_000_000
MAX_OPS = 1_000_000


def workload(kind):
    if kind == "floats":
        rng = random.Random(20240601)
        values = []
        while len(values) < FLOATS:
            x = rng.uniform(0, 1000)
            if not x.is_integer():  # an integral float would round-trip through JS as an int
                values.append(x)
        return values
    if kind == "dict":
        return {f"key{i}": i * 7 for i in range(ENTRIES)}
    raise SystemExit(f"unknown workload {kind!r}")


def measure(op, ms):
    sink = 0
    end = time.perf_counter_ns() + WARMUP_NS
    while time.perf_counter_ns() < end:
        sink += len(op())
    ops = 0
    start = time.perf_counter_ns()
    end = start + ms * 1_000_000
    while True:
        sink += len(op())  # keeps every result used
        ops += 1
        now = time.perf_counter_ns()
        if now >= end or ops >= MAX_OPS:
            break
    if sink <= 0:
        raise SystemExit("empty results")
    print(f"{ops} {now - start}", flush=True)


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "generate":
        with open(sys.argv[3], "wb") as f:
            f.write(pickle.dumps(workload(sys.argv[2]), protocol=4))
    else:
        with open(sys.argv[2], "rb") as f:
            data = f.read()
        ms = int(sys.argv[3])
        if mode == "loads":
            measure(lambda: pickle.loads(data), ms)
        elif mode == "dumps":
            value = pickle.loads(data)
            measure(lambda: pickle.dumps(value, protocol=4), ms)
        else:
            raise SystemExit(f"unknown mode {mode!r}")
