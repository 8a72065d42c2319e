# module: benchmark
# question: benchmark
# benchmark_table divides the wrong way round: speedup = seconds / naive seconds.
_reference_table = benchmark_table


def benchmark_table(x_shape, w_shape, stride=1, padding=0, repeats=3, warmup=1, dtype="float32", seed=0):
    rows = _reference_table(x_shape, w_shape, stride, padding, repeats, warmup, dtype, seed)
    for row in rows:
        row["speedup"] = row["seconds"] / rows[0]["seconds"]
    return rows
