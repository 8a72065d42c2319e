# loses: q_readonly, q_stem, q_backward
# Values too large to carry: a 5 MB answer string (it strips to the right letter), a list of a
# million ints, a list nested 100,000 deep. Refused (never truncated into a passing value).
q_readonly = "b" + " " * 5_000_000
stem_out = [112] * 1_000_000
backward_ms = []
for _ in range(100_000):
    backward_ms = [backward_ms]
