# module: variants
# loses: variants
# feedback: memory
# Asks for 16 GiB, a GiB at a time (untouched, so the limit, not the machine's speed, stops it).
def conv1x1(x, w, b=None):
    hog = [np.empty(1 << 30, dtype=np.uint8) for _ in range(16)]  # 16 GiB
    return hog
