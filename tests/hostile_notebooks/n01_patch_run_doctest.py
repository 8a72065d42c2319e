# Otter's doctest runner patched to pass everything (the cell from the issue).
import otter.test_files.ok_test

otter.test_files.ok_test.run_doctest = lambda *a, **k: (True, "")
