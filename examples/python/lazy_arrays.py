"""blaze from Python, step by step (run with the environment scripts/python.sh
makes: target/py-venv/bin/python examples/python/lazy_arrays.py).

Each step prints what blaze did next to NumPy's answer."""

import os
import tempfile

import numpy as np

import blaze

# 1. The talk's example: lazy until eval(), typed all the way.
a = blaze.array(np.array([[1.0, 2.0], [3.0, 4.0]]))
b = blaze.array(np.eye(2))
x = a + b
print("x:", x)  # blaze.Array<2 * 2 * float64>
values, vectors = blaze.linalg.eig(x).eval()
print("eigenvalues:", values, "NumPy:", np.linalg.eig(np.array([[2.0, 2.0], [3.0, 5.0]]))[0])

# 2. A type error shows where it is, before anything runs.
try:
    (x + blaze.array(np.ones(3))).dshape
except blaze.BlazeError as e:
    print(e)

# 3. Arrays of any layout are read in place.
big = np.random.default_rng(0).standard_normal((2000, 300))
centred = blaze.array(big.T[::2]) - blaze.mean(blaze.array(big.T[::2]), axis=0)
print("centred sum of squares:", blaze.sum(centred * centred).eval(),
      "NumPy:", ((big.T[::2] - big.T[::2].mean(axis=0)) ** 2).sum())

# 4. What runs: the IR after the BLAS rewrites, and the plan.
A = blaze.array(big)
print((A.T @ A).explain().splitlines()[0])

# 5. Files: opened lazily, streamed by blocks within a memory limit.
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "a.npy")
    np.save(path, big)
    F = blaze.open(path)
    gram = (F.T @ F).eval(memory_limit="16MiB")
    print("streamed gram matches:", np.allclose(gram, big.T @ big))

# 6. A module of definitions: functions of NumPy arrays.
m = blaze.compile("def axpy(a: float64, x: N * float64, y: N * float64) = a * x + y")
print("axpy:", m.axpy(2.0, np.arange(4.0), np.ones(4)))
