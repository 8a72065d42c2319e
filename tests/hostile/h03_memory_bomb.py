# module: variants
# loses: variants
# feedback: memory
def conv1x1(x, w, b=None):
    hog = [bytearray(256 << 20) for _ in range(64)]  # 16 GiB
    return hog
