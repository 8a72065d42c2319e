"""A class graded over several machines: ``--shard K/N`` grades a deterministic share, and
:func:`merge` joins the shards' gradebooks into the one a single run would have written.

The share: the class's students sorted by gradebook name, every N-th from the K-th (K from 1).
``K`` may be ``slurm`` (a Slurm array task: ``SLURM_ARRAY_TASK_ID`` counted from
``SLURM_ARRAY_TASK_MIN``) or ``k8s`` (a Kubernetes Indexed Job: ``JOB_COMPLETION_INDEX``, from 0).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from grader.instructor.exports import write_gradebook
from grader.instructor.records import load


def parse_shard(text: str, env=None) -> tuple[int, int]:
    """``"K/N"`` -> (K, N) with 1 <= K <= N; ValueError saying what is wrong."""
    env = os.environ if env is None else env
    k_text, sep, n_text = str(text).partition("/")
    try:
        n = int(n_text)
        if k_text == "slurm":
            k = int(env["SLURM_ARRAY_TASK_ID"]) - int(env.get("SLURM_ARRAY_TASK_MIN", "0")) + 1
        elif k_text == "k8s":
            k = int(env["JOB_COMPLETION_INDEX"]) + 1
        else:
            k = int(k_text)
    except KeyError as exc:
        raise ValueError(f"--shard {text}: {exc.args[0]} is not set (run it as a Slurm array task or an Indexed Job)") from None
    except ValueError:
        raise ValueError(f"--shard must be K/N (K from 1 to N, or slurm/N, or k8s/N), got {text!r}") from None
    if not sep or not 1 <= k <= n:
        raise ValueError(f"--shard {text}: K must be between 1 and N (got K={k}, N={n})")
    return k, n


def share(names: list[str], k: int, n: int) -> set[str]:
    """The gradebook names shard ``k`` of ``n`` grades."""
    return set(sorted(names)[k - 1::n])


def merge(shard_outs: list[Path], out: Path) -> list[str]:
    """Join shard gradebooks into ``out``: every student of the class exactly once, their folders
    copied, every gradebook file written afresh. ValueError when the shards do not make one class."""
    metas, records, sources = [], {}, {}
    for folder in shard_outs:
        meta, rows = load(folder)
        metas.append(meta)
        for r in rows:
            if r.student in records:
                raise ValueError(f"{r.student} is graded in both {sources[r.student]} and {folder}")
            records[r.student], sources[r.student] = r, folder
    first = metas[0]
    for folder, meta in zip(shard_outs, metas):
        for key in ("class", "layout", "assignment", "questions"):
            if meta.get(key) != first.get(key):
                raise ValueError(f"{folder} is a gradebook of another class or run ({key} differs from {shard_outs[0]})")
    missing = sorted(set(first["class"]) - set(records))
    if missing:
        raise ValueError(f"the shards hold {len(records)} of the class's {len(first['class'])} students; missing: "
                         f"{', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}")
    out.mkdir(parents=True, exist_ok=True)
    for student, folder in sources.items():
        if (folder / student).is_dir() and (folder / student).resolve() != (out / student).resolve():
            shutil.copytree(folder / student, out / student, dirs_exist_ok=True)
    meta = {**first, "shard": None}
    return write_gradebook(out, meta, list(records.values()))
