# module: winograd
# loses: winograd
# feedback: signal 11
import ctypes


def winograd_tile(d, g):
    ctypes.string_at(0)
