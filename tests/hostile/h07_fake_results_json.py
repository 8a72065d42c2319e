# module: cost
# loses:
# Writes a perfect results.json wherever it can think of; the honest score must stand.
import json as _json
import os as _os

_FAKE = {"score": 1000, "tests": [], "output": "perfect!"}
for _path in ("/autograder/results/results.json", "results.json", "../results.json", "../../results.json",
              _os.path.expanduser("~/results.json"), "/tmp/results.json", "grades/grades.csv"):
    try:
        _os.makedirs(_os.path.dirname(_path) or ".", exist_ok=True)
        with open(_path, "w") as _f:
            _json.dump(_FAKE, _f)
    except OSError:
        pass
print(_json.dumps(_FAKE))
