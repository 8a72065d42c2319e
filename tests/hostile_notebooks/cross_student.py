"""The cross-student attack, run inside ``unshare -n`` (tests/test_notebook.py starts it).

``python cross_student.py TMP``: brings ``lo`` up, starts UDP, TCP and Unix listeners (standing
for anything another submission could serve on localhost), then

1. control: runs the attack cell unconfined, in a plain Python process: it must reach them;
2. grades a correct notebook (the victim) and a wrong-answer notebook whose last cell is the
   attack, at the same time, in two threads, each with ``grade_notebook``.

Prints one JSON line: the control's outcome, both results, what the listeners received after the
control and at the end.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parents[1] / "autograder"))
import build  # noqa: E402
import netns_listeners as nl  # noqa: E402
from grader.instructor.notebook import grade_notebook  # noqa: E402


def main(tmp: Path) -> dict:
    nl.loopback_up()
    listeners = nl.Listeners(tmp / "other-student.sock")
    udp, tcp, unix = listeners.ports
    replacements = {"__TCP_PORT__": str(tcp), "__UDP_PORT__": str(udp), "__UNIX_PATH__": unix}
    cell = build.cell_source(HERE / "cross_student_attack.py", replacements)
    control_file = tmp / "control.py"
    control_file.write_text(cell + "\nprint('earned' if stem_out == 112 else 'nothing')\n")
    control = subprocess.run([sys.executable, str(control_file)], capture_output=True, text=True, timeout=60).stdout.strip()
    after_control = {k: len(v) for k, v in listeners.received.items()}

    assets = tmp / "assets"
    shutil.copytree(HERE.parents[1] / "autograder" / "notebook", assets)
    victim = tmp / "victim" / "conv_gemm.ipynb"
    victim.parent.mkdir()
    shutil.copyfile(build.SOLVED, victim)
    attacker = build.build(HERE / "cross_student_attack.py", "wrong", tmp / "attacker" / "conv_gemm.ipynb", replacements)
    results = {}

    def grade(name, path):
        results[name] = grade_notebook(path, assets_dir=assets, deadline_seconds=120)

    threads = [threading.Thread(target=grade, args=(n, p)) for n, p in (("victim", victim), ("attacker", attacker))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = {k: len(v) for k, v in listeners.stop().items()}
    return {"control": control, "after_control": after_control, "final": final,
            **{n: {"score": r.score, "error": r.error, "confinement": r.confinement} for n, r in results.items()}}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
