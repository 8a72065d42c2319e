# 16 GiB asked for at once, as bytes and as a list: the address-space limit fails the cell only.
try:
    _big = bytearray(16 << 30)
except MemoryError:
    pass
try:
    _big = [0] * (2 << 30)
except MemoryError:
    pass
