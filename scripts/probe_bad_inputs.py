"""Probe a source tree with the bad-input cases, as a user would: one subprocess per case.

    PYTHONPATH=$PWD .venv/bin/python scripts/probe_bad_inputs.py --tree PATH [--only PREFIX]

Each case of ``tests/bad_inputs.py`` runs ``python -m emo3d_lib.cli ...`` with ``PYTHONPATH``
set to ``--tree`` (so an older checkout can be compared) in a fresh copy of the workspace, and
is counted as one of:

- named: exit 2, one error line containing what the case expects, no traceback, nothing changed
- other-error: exit 2 without a traceback, but the line does not name the expected problem
- traceback: a Python traceback on stderr
- accepted: exit 0 (the bad input was taken), or still running at the timeout (long work began)
- damage: any file in the workspace changed, or a checkpoint's pickle payload ran

The workspace (fixtures, a tiny lm-mlp checkpoint) is built with *this* checkout's code.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.bad_inputs import CASES, PWNED, Case, build_workspace, tree_digest  # noqa: E402


def tiny_checkpoint(work: Path) -> Path:
    from emo3d_lib.models.train import train
    from tests.fixtures.models import make_model_dataset

    data = make_model_dataset(work / "tiny_data")
    out = work / "tiny_lm"
    train(data, "lm-mlp", out, epochs=1, seed=0, device="cpu", cache_dir=work / "cache",
          prefer_hub=False)
    return out


@contextlib.contextmanager
def held_lock(root: Path):
    root.mkdir(exist_ok=True)
    (root / ".emo3d-dataset").write_text('{"written_by": "emo3d generate", "marker": 1}\n')
    fd = os.open(root / ".emo3d-generate.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        os.close(fd)


def classify(case: Case, tree: Path, pristine: Path, scratch: Path, timeout: float) -> dict:
    ws = scratch / "ws"
    if ws.exists():
        shutil.rmtree(ws)
    shutil.copytree(pristine, ws, symlinks=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMO3D_LLM_")}
    env.update(case.env, PYTHONPATH=str(tree), OMP_NUM_THREADS="1", EMO3D_DATA=str(scratch))
    lock = held_lock(Path(case.hold_lock.replace("{ws}", str(ws)))) if case.hold_lock \
        else contextlib.nullcontext()
    t0 = time.perf_counter()
    with lock:
        before = tree_digest(ws)
        try:
            proc = subprocess.run([sys.executable, "-m", "emo3d_lib.cli", *case.args(ws)],
                                  cwd=scratch, env=env, capture_output=True, text=True,
                                  timeout=timeout, errors="replace")
            code, err = proc.returncode, proc.stderr
        except subprocess.TimeoutExpired as exc:
            code, err = None, (exc.stderr or b"").decode("utf-8", "replace") \
                if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        after = tree_digest(ws)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    lines = [ln for ln in err.splitlines() if ln.startswith("emo3d")]
    ran = [p for p in (ws / PWNED, scratch / PWNED, pristine / PWNED) if p.exists()]
    for p in ran:
        p.unlink()
    if changed or ran:
        verdict = "damage"
    elif "Traceback (most recent call last)" in err:
        verdict = "traceback"
    elif code == 0 or code is None:
        verdict = "accepted"
    elif code == 2 and len(lines) == 1 and case.expect.lower() in lines[0].lower() \
            and "SECRETKEY" not in err:
        verdict = "named"
    else:
        verdict = "other-error"
    last = (lines or [ln for ln in err.splitlines() if ln.strip()] or [""])[-1]
    return {"id": case.id, "verdict": verdict, "exit": code, "changed": changed[:3],
            "line": last[:220], "seconds": round(time.perf_counter() - t0, 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", type=Path, default=REPO, help="source tree to probe")
    ap.add_argument("--only", default="", help="run only cases whose id starts with this")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per case")
    ap.add_argument("--json", type=Path, default=None, help="write every verdict here")
    args = ap.parse_args()
    cases = [c for c in CASES if c.id.startswith(args.only)]
    with tempfile.TemporaryDirectory(prefix="emo3d-probe-") as tmp:
        work = Path(tmp)
        pristine = build_workspace(work / "pristine", tiny_checkpoint(work))
        scratch = work / "scratch"
        scratch.mkdir()
        results = []
        for i, case in enumerate(cases, 1):
            res = classify(case, args.tree.resolve(), pristine, scratch, args.timeout)
            results.append(res)
            print(f"[{i}/{len(cases)}] {res['verdict']:<11} {case.id}: {res['line']}",
                  flush=True)
    counts = collections.Counter(r["verdict"] for r in results)
    print(json.dumps({"tree": str(args.tree), "cases": len(results), **counts}, indent=1))
    if args.json:
        args.json.write_text(json.dumps({"counts": counts, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
