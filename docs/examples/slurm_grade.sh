#!/bin/bash
# Grade a class over a Slurm array: one shard per array task, then one job merges the shards.
#
#   sbatch --array=1-8 docs/examples/slurm_grade.sh /shared/class /shared/grades
#   sbatch --dependency=afterok:<array job id> --wrap \
#       "PYTHONPATH=autograder .venv/bin/python -m grader merge /shared/grades/shard-* --out /shared/grades/all"
#
# Run from the repository root (shared by every node, with .venv set up by `make venv`). Every
# task reads the same class folder and writes its own shard gradebook; `--shard slurm/N` takes
# the task's share from SLURM_ARRAY_TASK_ID (counted from SLURM_ARRAY_TASK_MIN), so the array may
# start at 0 or 1. N must equal the number of array tasks.
#SBATCH --job-name=conv-gemm-grade
#SBATCH --cpus-per-task=4
#SBATCH --mem=8G
#SBATCH --time=02:00:00
#SBATCH --output=grade-%A_%a.log
set -euo pipefail
CLASS="$1"
OUT="$2"
N="${SLURM_ARRAY_TASK_COUNT:?submit this script as an array job (sbatch --array=...)}"
PYTHONPATH=autograder .venv/bin/python -m grader grade "$CLASS" --out "$OUT/shard-$SLURM_ARRAY_TASK_ID" \
    --shard "slurm/$N" --workers "$SLURM_CPUS_PER_TASK"
