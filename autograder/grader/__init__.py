"""The Convolution-as-GEMM grader.

The trusted parent (engine, checks, gradebook) prepares inputs and expected values and
compares; an untrusted child process (child.py) imports the student's modules and runs the
calls. Values cross between them in wire.py's format, which never executes code on load.
"""
