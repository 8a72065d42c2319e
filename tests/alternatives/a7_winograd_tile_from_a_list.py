# module: winograd
# An honest Winograd tile whose product matrix is built with np.array from a list of its 16
# products (each one element of U times one of V): every point, the products counted.
def winograd_tile(d, g):
    BT, G, AT = winograd_f23_matrices()
    U = G @ g @ G.T
    V = BT @ d @ BT.T
    M = np.array([[U[i, j] * V[i, j] for j in range(4)] for i in range(4)])
    return AT @ M @ AT.T
