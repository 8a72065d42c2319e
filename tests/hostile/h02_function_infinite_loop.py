# module: conv2d
# loses: exercises
# feedback: timed out
def conv2d_gemm(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    while True:
        pass
