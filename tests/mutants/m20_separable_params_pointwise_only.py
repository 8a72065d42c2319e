# module: variants
# question: variants
# separable_params forgets the depthwise filters.
def separable_params(c_in, c_out, kernel_size):
    return c_in * c_out
