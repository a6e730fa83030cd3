"""`graphspec fit` against the same training written in Python with Keras (issue 12's speed goal: at
most 1.05x).

    python benchmarks/train.py             # fashion_cnn, 40 steps, 5 runs each
    python benchmarks/train.py --quick     # 20 steps, 3 runs each

Both sides run in this process after Keras is imported (no interpreter start-up), on the same
arrays, for the same number of steps (epochs x samples / batch size), with the progress bar going
to /dev/null on both:
(a) `graphspec fit SPEC --data TRAIN.npz --epochs E --batch-size B` through graphspec.cli.main: reading
    and checking the spec, reading and checking the .npz, building, compiling, fitting;
(b) Python: the arrays loaded with numpy, the model built with `Spec.to_keras()` from an already
    checked spec (what hand-written functional code costs), `model.fit(x, y, epochs=E, batch_size=B)`
    with the fit block's other arguments (validation_split, callbacks) as a user would write them.
Medians, runs interleaved (alternating which goes first), after a warm-up of each. Nothing asserts
on time.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "specs" / "seeds" / "fashion_cnn.gspec"


def _data(folder: Path, samples: int) -> Path:
    import numpy as np

    rng = np.random.default_rng(0)
    path = folder / "train.npz"
    np.savez(path, image=rng.random((samples, 28, 28, 1), dtype=np.float32),
             label=np.eye(10, dtype=np.float32)[rng.integers(0, 10, samples)])
    return path


def _quiet():
    return contextlib.redirect_stdout(open(os.devnull, "w"))


def run(steps: int, repeats: int, batch: int = 32) -> dict:
    """Median seconds of each side and their ratio."""
    import keras
    import numpy as np

    import graphspec
    from graphspec import cli

    with tempfile.TemporaryDirectory() as tmp:
        data = _data(Path(tmp), steps * batch // 2)
        epochs = 2
        args = ["fit", str(SPEC), "--data", str(data), "--epochs", str(epochs), "--batch-size", str(batch)]
        spec = graphspec.load(SPEC)

        def ours():
            with _quiet():
                assert cli.main(list(args)) == 0

        def python():
            with np.load(data) as arrays:
                x, y = arrays["image"], arrays["label"]
            model = spec.to_keras()
            kwargs = {**spec.fit_kwargs(), "epochs": epochs, "batch_size": batch}  # the fit block's too
            with _quiet():
                model.fit(x, y, **kwargs)

        times = {"graphspec fit": [], "model.fit": []}
        sides = [("graphspec fit", ours), ("model.fit", python)]
        for name, fn in sides:  # warm-up
            fn()
        for i in range(repeats):
            for name, fn in (sides if i % 2 == 0 else sides[::-1]):
                keras.backend.clear_session()
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
        medians = {k: statistics.median(v) for k, v in times.items()}
        medians["ratio"] = medians["graphspec fit"] / medians["model.fit"]
        medians["steps"] = epochs * (steps * batch // 2) // batch
        return medians


def main(argv=None) -> int:
    """Print the two medians and the ratio."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    a = p.parse_args(argv)
    result = run(20 if a.quick else 40, 3 if a.quick else 5)
    print(f"{result['steps']} training steps of {SPEC.name}")
    print(f"  graphspec fit: {result['graphspec fit']:.3f} s")
    print(f"  model.fit:     {result['model.fit']:.3f} s")
    print(f"  ratio:         {result['ratio']:.3f}x (goal: at most 1.05x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
