"""The package compiled once by the grader (loader.compile_package) loads exactly as the child's
own compilation would: same results, same errors, and a file is compiled ahead only when
nothing about compiling it could differ in the child (its bytes, no warning, no error)."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from corpus import ROOT

LOAD = textwrap.dedent('''
    import json, sys
    sys.path.insert(0, sys.argv[1])
    from grader.runtime import loader
    package_dir, mode = sys.argv[2], sys.argv[3]
    compiled = loader.compile_package(package_dir) if mode != "none" else {}
    ahead = sorted(p.rsplit("/", 1)[1] for p in compiled)
    if mode == "changed":  # a file that differs from what the grader compiled is compiled here
        with open(package_dir + "/a.py", "a") as f:
            f.write("VALUE = 2\\n")
    p = loader.StudentPackage(package_dir, {"a": ["f"], "b": [], "c": []}, {})
    p.install()
    p.import_package()
    out = {"ahead": ahead, "unused": sorted(k.rsplit("/", 1)[1] for k in p.precompiled)}
    for name in ("a", "b", "c"):
        try:
            out[name] = getattr(p.import_module(name), "VALUE", None)
        except ImportError as exc:
            out[name] = str(exc)[:60]
    out["init"] = {k: sys.modules["conv_gemm"].__dict__.get(k) for k in ("BEFORE", "AFTER")}
    out["errors"] = sorted(p.import_errors)
    print(json.dumps(out))
''')


def _load(tmp_path, mode):
    pkg = tmp_path / mode / "conv_gemm"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("BEFORE = 1\nfrom .c import nothing\nAFTER = 2\n")
    (pkg / "a.py").write_text("VALUE = 1\ndef f():\n    return VALUE\n")
    (pkg / "b.py").write_text('import re\nVALUE = re.sub("\\d", "", "a1")\n')  # "\d": a warning when compiled
    (pkg / "c.py").write_text("VALUE = (\n")
    script = tmp_path / "load.py"
    script.write_text(LOAD)
    proc = subprocess.run([sys.executable, "-E", "-s", "-B", str(script), str(ROOT / "autograder"), str(pkg), mode],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def test_compiled_ahead_loads_as_compiled_in_the_child(tmp_path):
    ahead, alone = _load(tmp_path, "ahead"), _load(tmp_path, "none")
    assert ahead["ahead"] == ["__init__.py", "a.py"]  # not b.py (it warns), not c.py (a SyntaxError)
    assert ahead["unused"] == []
    for key in ("a", "b", "c", "init", "errors"):
        assert ahead[key] == alone[key], key
    assert ahead["a"] == 1 and ahead["b"] == "a" and "SyntaxError" in ahead["c"]
    assert ahead["init"] == {"BEFORE": 1, "AFTER": 2}


def test_a_file_that_changed_is_compiled_again(tmp_path):
    assert _load(tmp_path, "changed")["a"] == 2
