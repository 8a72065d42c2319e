# module: layout
# question: layout
# strides_nhwc returns the contiguous NCHW strides.
def strides_nhwc(shape):
    return strides_nchw(shape)
