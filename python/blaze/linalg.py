"""Linear algebra, as ``numpy.linalg``, run by LAPACK: each function builds
a lazy ``blaze.Array``."""

from . import _call

__all__ = ["inv", "det", "cholesky", "qr", "svd", "eig", "eigh", "norm", "trace", "solve", "lstsq"]


def inv(a):
    """The inverse of a square matrix."""
    return _call("inv", a)


def det(a):
    """The determinant of a square matrix."""
    return _call("det", a)


def cholesky(a):
    """The lower Cholesky factor of a symmetric positive definite matrix."""
    return _call("cholesky", a)


def qr(a):
    """The reduced QR factorization ``(Q, R)``."""
    return _call("qr", a)


def svd(a):
    """The reduced singular value decomposition ``(U, S, Vh)``."""
    return _call("svd", a)


def eig(a):
    """Eigenvalues and eigenvectors ``(values, vectors)``, complex."""
    return _call("eig", a)


def eigh(a):
    """Ascending eigenvalues and eigenvectors of a symmetric matrix."""
    return _call("eigh", a)


def norm(a):
    """The 2-norm of a vector, the Frobenius norm of a matrix."""
    return _call("norm", a)


def trace(a):
    """The sum of the diagonal."""
    return _call("trace", a)


def solve(a, b):
    """The solution ``x`` of ``a @ x == b``."""
    return _call("solve", a, b)


def lstsq(a, b):
    """The minimum-norm least-squares solution of ``a @ x == b``."""
    return _call("lstsq", a, b)
