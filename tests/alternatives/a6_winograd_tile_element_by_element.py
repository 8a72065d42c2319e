# module: winograd
# An honest Winograd tile written as a student first writes it: the 16 products one by one into
# np.empty, then the output transform. Every point: the elements it writes stay on the grader's
# tape (counting.tracked_constructors), so the replay follows them and counts 16 products.
def winograd_tile(d, g):
    BT, G, AT = winograd_f23_matrices()
    U = G @ g @ G.T
    V = BT @ d @ BT.T
    M = np.empty((4, 4))
    for i in range(4):
        for j in range(4):
            M[i, j] = U[i, j] * V[i, j]
    return AT @ M @ AT.T
