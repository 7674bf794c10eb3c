//! NumPy-named functions that build [`Expr`] nodes, re-exported at the
//! crate's root (`blaze::sin(&x)`, `blaze::sum(&x, 0)`,
//! `blaze::mean(&x, Axes::All)`), and [`linalg`] for linear algebra. Each
//! is the DSL builtin of the same name (see `docs/LANGUAGE.md`).

use super::{Axes, Expr};

macro_rules! elementwise {
    ($($name:ident),*) => {$(
        #[doc = concat!("`", stringify!($name), "(x)`, elementwise.")]
        pub fn $name(x: impl Into<Expr>) -> Expr {
            Expr::call(stringify!($name), vec![x.into()], Axes::All)
        }
    )*};
}

elementwise!(
    abs, sqrt, exp, log, log2, log10, sin, cos, tan, arcsin, arccos, arctan, sinh, cosh, tanh,
    floor, ceil, round, sign, isnan, isna
);

macro_rules! two {
    ($($name:ident),*) => {$(
        #[doc = concat!("`", stringify!($name), "(a, b)`, elementwise with broadcasting.")]
        pub fn $name(a: impl Into<Expr>, b: impl Into<Expr>) -> Expr {
            Expr::call(stringify!($name), vec![a.into(), b.into()], Axes::All)
        }
    )*};
}

two!(minimum, maximum, arctan2, pow, fillna, dot);

/// `where(cond, x, y)`: `x` where `cond` holds, else `y`.
pub fn where_(cond: impl Into<Expr>, x: impl Into<Expr>, y: impl Into<Expr>) -> Expr {
    Expr::call("where", vec![cond.into(), x.into(), y.into()], Axes::All)
}

macro_rules! reductions {
    ($($name:ident),*) => {$(
        #[doc = concat!(
            "`", stringify!($name), "(x, axis=…)`: over `axes` (an axis, `[i64; N]` for ",
            "several, or [`Axes::All`])."
        )]
        pub fn $name(x: impl Into<Expr>, axes: impl Into<Axes>) -> Expr {
            Expr::call(stringify!($name), vec![x.into()], axes.into())
        }
    )*};
}

reductions!(sum, prod, min, max, mean, var, std, any, all, argmin, argmax, count);

/// The axes reversed (`transpose(x)`).
pub fn transpose(x: impl Into<Expr>) -> Expr {
    Expr::call("transpose", vec![x.into()], Axes::All)
}

/// Linear algebra, as NumPy's `numpy.linalg`: each function is the DSL
/// builtin of the same name, run by LAPACK.
pub mod linalg {
    use super::{Axes, Expr};

    macro_rules! one {
        ($($name:ident: $doc:literal),*) => {$(
            #[doc = $doc]
            pub fn $name(a: impl Into<Expr>) -> Expr {
                Expr::call(stringify!($name), vec![a.into()], Axes::All)
            }
        )*};
    }

    one!(
        inv: "The inverse of a square matrix.",
        det: "The determinant of a square matrix.",
        cholesky: "The lower Cholesky factor of a symmetric positive definite matrix.",
        qr: "The reduced QR factorization: a tuple `(Q, R)`.",
        svd: "The reduced singular value decomposition: a tuple `(U, S, Vh)`.",
        eig: "Eigenvalues and eigenvectors, complex: a tuple `(values, vectors)`.",
        eigh: "Eigenvalues (ascending) and eigenvectors of a symmetric matrix.",
        norm: "The 2-norm of a vector or the Frobenius norm of a matrix.",
        trace: "The sum of the diagonal."
    );

    /// The solution `x` of `a @ x = b`.
    pub fn solve(a: impl Into<Expr>, b: impl Into<Expr>) -> Expr {
        Expr::call("solve", vec![a.into(), b.into()], Axes::All)
    }

    /// The minimum-norm least-squares solution of `a @ x = b`.
    pub fn lstsq(a: impl Into<Expr>, b: impl Into<Expr>) -> Expr {
        Expr::call("lstsq", vec![a.into(), b.into()], Axes::All)
    }
}
