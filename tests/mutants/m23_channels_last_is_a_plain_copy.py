# module: layout
# question: layout
# to_channels_last copies the array but keeps NCHW memory.
def to_channels_last(x):
    return x.copy()
