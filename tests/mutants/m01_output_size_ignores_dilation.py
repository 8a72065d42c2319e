# module: cost
# question: cost
# conv_output_size uses the kernel size where the dilated span d*(k-1)+1 belongs.
def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    out = (size + 2 * padding - kernel_size) // stride + 1
    if out < 1:
        raise ValueError(f"output size {out} < 1")
    return out
