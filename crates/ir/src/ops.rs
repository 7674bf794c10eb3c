//! The operations of the typed IR, with their typing rules.
//!
//! Element types follow the promotion lattice of the datashape crate
//! (`blaze_datashape::promote`); the rules below say what each operation
//! does with the promoted type `T` of its operands. Every rule is applied by
//! the type checker (`check.rs`) and, at run time, by the interpreter.

use blaze_datashape::{Scalar, ScalarKind};
use blaze_syntax::ast::BinaryOp;

/// Elementwise functions of one argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryFn {
    /// `-x`: bool is rejected; integers wrap (two's complement).
    Neg,
    /// `+x`: the identity.
    Pos,
    /// `not x`: logical not, any numeric → bool.
    Not,
    /// `abs(x)`: complex → the real type of its components; integers wrap
    /// (`abs(-128i8) == -128`, as NumPy).
    Abs,
    /// `sqrt`: integers and bool → float64.
    Sqrt,
    /// `exp`
    Exp,
    /// `log` (natural)
    Log,
    /// `log2`
    Log2,
    /// `log10`
    Log10,
    /// `sin`
    Sin,
    /// `cos`
    Cos,
    /// `tan`
    Tan,
    /// `arcsin`
    Arcsin,
    /// `arccos`
    Arccos,
    /// `arctan`
    Arctan,
    /// `sinh`
    Sinh,
    /// `cosh`
    Cosh,
    /// `tanh`
    Tanh,
    /// `floor`: integers unchanged; complex rejected.
    Floor,
    /// `ceil`: integers unchanged; complex rejected.
    Ceil,
    /// `round`: half to even (NumPy's `round`); integers unchanged.
    Round,
    /// `sign`: −1, 0, 1 (NaN for NaN); complex `z/|z|`.
    Sign,
    /// `isnan`: → bool; false for integers.
    IsNan,
    /// `isna`: → bool; true where an option value is missing.
    IsNa,
    /// `len(s)`: the number of Unicode code points of a string → int64.
    /// Strings only.
    Len,
    /// `upper(s)`: Unicode upper case (Rust's `str::to_uppercase`, which
    /// may change the length: `ß` → `SS`) → string. Strings only.
    Upper,
    /// `lower(s)`: Unicode lower case (`str::to_lowercase`) → string.
    /// Strings only.
    Lower,
    /// `year(d)` of a `date` or a `datetime` (proleptic Gregorian) → int64.
    Year,
    /// `month(d)`: 1 to 12 → int64.
    Month,
    /// `day(d)`: the day of the month, 1 to 31 → int64.
    Day,
}

impl UnaryFn {
    /// The builtin's name in the DSL (`-` etc. for operators).
    pub fn name(self) -> &'static str {
        use UnaryFn::*;
        match self {
            Neg => "neg",
            Pos => "pos",
            Not => "not",
            Abs => "abs",
            Sqrt => "sqrt",
            Exp => "exp",
            Log => "log",
            Log2 => "log2",
            Log10 => "log10",
            Sin => "sin",
            Cos => "cos",
            Tan => "tan",
            Arcsin => "arcsin",
            Arccos => "arccos",
            Arctan => "arctan",
            Sinh => "sinh",
            Cosh => "cosh",
            Tanh => "tanh",
            Floor => "floor",
            Ceil => "ceil",
            Round => "round",
            Sign => "sign",
            IsNan => "isnan",
            IsNa => "isna",
            Len => "len",
            Upper => "upper",
            Lower => "lower",
            Year => "year",
            Month => "month",
            Day => "day",
        }
    }

    /// Every unary function, for tables and tests.
    pub const ALL: [UnaryFn; 30] = {
        use UnaryFn::*;
        [
            Neg, Pos, Not, Abs, Sqrt, Exp, Log, Log2, Log10, Sin, Cos, Tan, Arcsin, Arccos, Arctan,
            Sinh, Cosh, Tanh, Floor, Ceil, Round, Sign, IsNan, IsNa, Len, Upper, Lower, Year,
            Month, Day,
        ]
    };

    /// Whether this is a function of dates (`year`, `month`, `day`).
    pub fn is_date_fn(self) -> bool {
        matches!(self, UnaryFn::Year | UnaryFn::Month | UnaryFn::Day)
    }

    /// Whether this is a function of strings (`len`, `upper`, `lower`),
    /// whose types the checker gives by [`UnaryFn::string_result`].
    pub fn is_string_fn(self) -> bool {
        matches!(self, UnaryFn::Len | UnaryFn::Upper | UnaryFn::Lower)
    }

    /// The function called `name` in the DSL, if any (operators excluded).
    pub fn from_name(name: &str) -> Option<UnaryFn> {
        UnaryFn::ALL
            .into_iter()
            .filter(|f| !matches!(f, UnaryFn::Neg | UnaryFn::Pos | UnaryFn::Not))
            .find(|f| f.name() == name)
    }

    /// The result scalar for an operand of scalar `t`, or why `t` is not
    /// accepted.
    pub fn result(self, t: Scalar) -> Result<Scalar, String> {
        use UnaryFn::*;
        let kind = t.kind();
        match self {
            Len | Upper | Lower => Err(format!(
                "`{}` needs strings, found `{}`",
                self.name(),
                t.name()
            )),
            Year | Month | Day => Err(format!(
                "`{}` needs dates or datetimes, found `{}`",
                self.name(),
                t.name()
            )),
            Neg if t == Scalar::Bool => Err("`-` is not defined for bool; use `not`".into()),
            Neg | Pos | Sign => Ok(t),
            Not | IsNan | IsNa => Ok(Scalar::Bool),
            Abs => Ok(match t {
                Scalar::Complex64 => Scalar::Float32,
                Scalar::Complex128 => Scalar::Float64,
                other => other,
            }),
            Floor | Ceil if kind == ScalarKind::Complex => Err(format!(
                "`{}` is not defined for complex numbers",
                self.name()
            )),
            Floor | Ceil | Round => Ok(t),
            _ => Ok(float_of(t)),
        }
    }
}

/// Elementwise functions of two arguments (operators and builtins).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryFn {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`: true division; integer and bool operands give float64.
    Div,
    /// `//`: floor division. Integer division by zero gives 0 (no trap);
    /// complex rejected.
    FloorDiv,
    /// `%`: remainder with the sign of the divisor (Python/NumPy). Integer
    /// remainder by zero gives 0; complex rejected.
    Mod,
    /// `**`, `pow`: integer base to a negative integer power gives
    /// `1/base^n` truncated toward zero (1 or −1 for base ±1, else 0; 0 for
    /// base 0); integer overflow wraps.
    Pow,
    /// `minimum`: NaN propagates.
    Minimum,
    /// `maximum`: NaN propagates.
    Maximum,
    /// `arctan2`: real operands only; integers → float64.
    Arctan2,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`: complex rejected.
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `and`: logical, any numeric → bool.
    And,
    /// `or`: logical, any numeric → bool.
    Or,
    /// `startswith(s, p)`: whether string `s` begins with string `p` →
    /// bool. Strings only.
    StartsWith,
    /// `endswith(s, p)`: whether `s` ends with `p` → bool. Strings only.
    EndsWith,
    /// `contains(s, p)`: whether `p` occurs in `s` → bool (the empty
    /// string occurs in every string). Strings only.
    Contains,
}

impl BinaryFn {
    /// The operator or builtin name: the operator as the DSL writes it
    /// ([`BinaryOp::symbol`]), else the builtin's name.
    pub fn name(self) -> &'static str {
        match self {
            BinaryFn::Minimum => "minimum",
            BinaryFn::Maximum => "maximum",
            BinaryFn::Arctan2 => "arctan2",
            BinaryFn::StartsWith => "startswith",
            BinaryFn::EndsWith => "endswith",
            BinaryFn::Contains => "contains",
            f => f.operator().map_or("?", BinaryOp::symbol),
        }
    }

    /// The DSL operator that means this function, if one does (`minimum`,
    /// `maximum` and `arctan2` are builtins only).
    pub fn operator(self) -> Option<BinaryOp> {
        use BinaryFn::*;
        Some(match self {
            Add => BinaryOp::Add,
            Sub => BinaryOp::Sub,
            Mul => BinaryOp::Mul,
            Div => BinaryOp::Div,
            FloorDiv => BinaryOp::FloorDiv,
            Mod => BinaryOp::Mod,
            Pow => BinaryOp::Pow,
            Eq => BinaryOp::Eq,
            Ne => BinaryOp::Ne,
            Lt => BinaryOp::Lt,
            Le => BinaryOp::Le,
            Gt => BinaryOp::Gt,
            Ge => BinaryOp::Ge,
            And => BinaryOp::And,
            Or => BinaryOp::Or,
            Minimum | Maximum | Arctan2 | StartsWith | EndsWith | Contains => return None,
        })
    }

    /// The elementwise function of a DSL operator; `None` for `@`, which is
    /// a matrix product.
    pub fn of_operator(op: BinaryOp) -> Option<BinaryFn> {
        BinaryFn::ALL.into_iter().find(|f| f.operator() == Some(op))
    }

    /// Every binary function.
    pub const ALL: [BinaryFn; 21] = {
        use BinaryFn::*;
        [
            Add, Sub, Mul, Div, FloorDiv, Mod, Pow, Minimum, Maximum, Arctan2, Eq, Ne, Lt, Le, Gt,
            Ge, And, Or, StartsWith, EndsWith, Contains,
        ]
    };

    /// Whether this is a predicate of two strings (`startswith`,
    /// `endswith`, `contains`).
    pub fn is_string_fn(self) -> bool {
        matches!(
            self,
            BinaryFn::StartsWith | BinaryFn::EndsWith | BinaryFn::Contains
        )
    }

    /// Whether this is a comparison (`== != < <= > >=`).
    pub fn is_comparison(self) -> bool {
        use BinaryFn::*;
        matches!(self, Eq | Ne | Lt | Le | Gt | Ge)
    }

    /// The result scalar for operands promoted to `t`, or why `t` is not
    /// accepted.
    pub fn result(self, t: Scalar) -> Result<Scalar, String> {
        use BinaryFn::*;
        let complex = t.kind() == ScalarKind::Complex;
        match self {
            StartsWith | EndsWith | Contains => Err(format!(
                "`{}` needs strings, found `{}`",
                self.name(),
                t.name()
            )),
            Eq | Ne | And | Or => Ok(Scalar::Bool),
            Lt | Le | Gt | Ge if complex => Err(format!(
                "`{}` is not defined for complex numbers",
                self.name()
            )),
            Lt | Le | Gt | Ge => Ok(Scalar::Bool),
            FloorDiv | Mod | Arctan2 | Minimum | Maximum if complex => Err(format!(
                "`{}` is not defined for complex numbers",
                self.name()
            )),
            Div | Arctan2 => Ok(float_of(t)),
            Sub if t == Scalar::Bool => {
                Err("`-` is not defined for bool; use `!=` or `and not`".into())
            }
            _ => Ok(t),
        }
    }
}

/// Reductions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReduceFn {
    /// `sum`: bool and signed integers → int64, unsigned → uint64 (NumPy on
    /// 64-bit platforms); floats and complex keep their type. Empty → 0.
    Sum,
    /// `prod`: as `sum`; empty → 1.
    Prod,
    /// `min`: keeps the type; an empty reduction is a run-time error; NaN
    /// propagates.
    Min,
    /// `max`: as `min`.
    Max,
    /// `mean`: integers and bool → float64; empty → NaN.
    Mean,
    /// `var` (population, ddof = 0): → the real float type.
    Var,
    /// `std`: as `var`.
    Std,
    /// `any`: → bool.
    Any,
    /// `all`: → bool.
    All,
    /// `argmin`: → int64; over one axis or the flattened array; first
    /// occurrence; NaN wins (as NumPy).
    ArgMin,
    /// `argmax`: as `argmin`.
    ArgMax,
    /// `count`: number of elements that are not missing → int64.
    Count,
}

impl ReduceFn {
    /// The builtin's name.
    pub fn name(self) -> &'static str {
        use ReduceFn::*;
        match self {
            Sum => "sum",
            Prod => "prod",
            Min => "min",
            Max => "max",
            Mean => "mean",
            Var => "var",
            Std => "std",
            Any => "any",
            All => "all",
            ArgMin => "argmin",
            ArgMax => "argmax",
            Count => "count",
        }
    }

    /// Every reduction.
    pub const ALL: [ReduceFn; 12] = {
        use ReduceFn::*;
        [
            Sum, Prod, Min, Max, Mean, Var, Std, Any, All, ArgMin, ArgMax, Count,
        ]
    };

    /// The reduction called `name`, if any.
    pub fn from_name(name: &str) -> Option<ReduceFn> {
        ReduceFn::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Whether the reduction of no values is missing (pandas' semantics):
    /// true for `mean`, `var`, `std`, `min`, `max`, `argmin` and `argmax`,
    /// so these give `?T` over an option operand; `sum` (0), `prod` (1),
    /// `count` (0), `any` (false) and `all` (true) have a value for no
    /// values and stay plain.
    pub fn can_be_missing(self) -> bool {
        use ReduceFn::*;
        matches!(self, Mean | Var | Std | Min | Max | ArgMin | ArgMax)
    }

    /// The result scalar for an operand of scalar `t`.
    pub fn result(self, t: Scalar) -> Result<Scalar, String> {
        use ReduceFn::*;
        Ok(match self {
            Sum | Prod => match t.kind() {
                ScalarKind::Bool | ScalarKind::Signed => Scalar::Int64,
                ScalarKind::Unsigned => Scalar::UInt64,
                _ => t,
            },
            Min | Max if t.kind() == ScalarKind::Complex => {
                return Err(format!(
                    "`{}` is not defined for complex numbers",
                    self.name()
                ))
            }
            ArgMin | ArgMax if t.kind() == ScalarKind::Complex => {
                return Err(format!(
                    "`{}` is not defined for complex numbers",
                    self.name()
                ))
            }
            Min | Max => t,
            Mean => float_of(t),
            Var | Std => real_of(float_of(t)),
            Any | All => Scalar::Bool,
            ArgMin | ArgMax | Count => Scalar::Int64,
        })
    }
}

/// Linear-algebra functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LinalgFn {
    /// `inv(A)`
    Inv,
    /// `solve(A, b)`
    Solve,
    /// `det(A)`
    Det,
    /// `cholesky(A)`: lower triangular.
    Cholesky,
    /// `qr(A)`: `(Q, R)`, reduced.
    Qr,
    /// `svd(A)`: `(U, S, Vh)`, reduced.
    Svd,
    /// `eig(A)`: `(values, vectors)`, complex.
    Eig,
    /// `eigh(A)`: `(values, vectors)`, values real ascending.
    Eigh,
    /// `lstsq(A, b)`: the minimum-norm least-squares solution.
    Lstsq,
    /// `norm(x)`: 2-norm of a vector, Frobenius norm of a matrix.
    Norm,
    /// `trace(A)`
    Trace,
}

impl LinalgFn {
    /// The builtin's name.
    pub fn name(self) -> &'static str {
        use LinalgFn::*;
        match self {
            Inv => "inv",
            Solve => "solve",
            Det => "det",
            Cholesky => "cholesky",
            Qr => "qr",
            Svd => "svd",
            Eig => "eig",
            Eigh => "eigh",
            Lstsq => "lstsq",
            Norm => "norm",
            Trace => "trace",
        }
    }

    /// Every linear-algebra function.
    pub const ALL: [LinalgFn; 11] = {
        use LinalgFn::*;
        [
            Inv, Solve, Det, Cholesky, Qr, Svd, Eig, Eigh, Lstsq, Norm, Trace,
        ]
    };

    /// The function called `name`, if any.
    pub fn from_name(name: &str) -> Option<LinalgFn> {
        LinalgFn::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// A BLAS or LAPACK routine that the rewrites ([`crate::rewrite`]) chose
/// for a matrix product or a linear-algebra call. The element type of the
/// operands picks the `s`/`d`/`c`/`z` variant. Every routine has a
/// definition in terms of the other operations, which the reference
/// interpreter follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Routine {
    /// `alpha * (op(A) @ op(B))`, arguments `[A, B, alpha]`, or
    /// `alpha * (op(A) @ op(B)) + beta * C`, arguments `[A, B, alpha, beta, C]`;
    /// `op` transposes when the flag is set. Matrices are 2-D.
    Gemm {
        /// Transpose `A`.
        trans_a: bool,
        /// Transpose `B`.
        trans_b: bool,
    },
    /// `alpha * (op(A) @ x)` for a matrix `A` and a vector `x`, arguments
    /// `[A, x, alpha]`.
    Gemv {
        /// Transpose `A`.
        trans: bool,
    },
    /// `x @ y` of two vectors (no conjugation), arguments `[x, y]`.
    Dot,
    /// `alpha * (A.T @ A)` (`trans`) or `alpha * (A @ A.T)`, arguments
    /// `[A, alpha]`: one triangle computed, the other mirrored.
    Syrk {
        /// `A.T @ A` rather than `A @ A.T`.
        trans: bool,
    },
    /// `solve(T, b)` for a triangular `T`, arguments `[T, b]`.
    Trsm {
        /// `T` is lower (rather than upper) triangular.
        lower: bool,
    },
    /// `eig(A)` of a real symmetric `A` through the symmetric solver:
    /// real eigenvalues (ascending) and orthonormal eigenvectors, typed as
    /// `eig`'s complex results.
    SymEig,
}

impl Routine {
    /// The routine's name as the IR prints it (without the type prefix).
    pub fn text(self) -> String {
        let t = |b: bool| if b { "T" } else { "N" };
        match self {
            Routine::Gemm { trans_a, trans_b } => format!("gemm {}{}", t(trans_a), t(trans_b)),
            Routine::Gemv { trans } => format!("gemv {}", t(trans)),
            Routine::Dot => "dot".into(),
            Routine::Syrk { trans } => format!("syrk {}", t(trans)),
            Routine::Trsm { lower } => format!("trsm {}", if lower { "L" } else { "U" }),
            Routine::SymEig => "syevd".into(),
        }
    }

    /// Parses [`Routine::text`].
    pub fn from_text(name: &str, flags: &str) -> Option<Routine> {
        let t = |c: u8| match c {
            b'T' => Some(true),
            b'N' => Some(false),
            _ => None,
        };
        let f = flags.as_bytes();
        Some(match (name, f.len()) {
            ("gemm", 2) => Routine::Gemm {
                trans_a: t(f[0])?,
                trans_b: t(f[1])?,
            },
            ("gemv", 1) => Routine::Gemv { trans: t(f[0])? },
            ("syrk", 1) => Routine::Syrk { trans: t(f[0])? },
            ("trsm", 1) => Routine::Trsm {
                lower: match f[0] {
                    b'L' => true,
                    b'U' => false,
                    _ => return None,
                },
            },
            ("dot", 0) => Routine::Dot,
            ("syevd", 0) => Routine::SymEig,
            _ => return None,
        })
    }

    /// How many arguments a call takes (`Gemm`: 3 or 5).
    pub fn arity(self) -> &'static [usize] {
        match self {
            Routine::Gemm { .. } => &[3, 5],
            Routine::Gemv { .. } => &[3],
            Routine::Dot | Routine::Trsm { .. } | Routine::Syrk { .. } => &[2],
            Routine::SymEig => &[1],
        }
    }
}

/// The float type an operation on `t` computes in: integers and bool →
/// float64; floats and complex keep their type.
pub fn float_of(t: Scalar) -> Scalar {
    match t.kind() {
        ScalarKind::Bool | ScalarKind::Signed | ScalarKind::Unsigned => Scalar::Float64,
        _ => t,
    }
}

/// The real type of `t`'s components: complex → its float; others unchanged.
pub fn real_of(t: Scalar) -> Scalar {
    match t {
        Scalar::Complex64 => Scalar::Float32,
        Scalar::Complex128 => Scalar::Float64,
        other => other,
    }
}

/// The complex type holding `t`: float32/float16 → complex64, others →
/// complex128.
pub fn complex_of(t: Scalar) -> Scalar {
    match t {
        Scalar::Float16 | Scalar::Float32 | Scalar::Complex64 => Scalar::Complex64,
        _ => Scalar::Complex128,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_map_both_ways() {
        use BinaryOp::*;
        let ops = [
            Add, Sub, Mul, Div, FloorDiv, Mod, Pow, MatMul, Eq, Ne, Lt, Le, Gt, Ge, And, Or,
        ];
        for op in ops {
            match BinaryFn::of_operator(op) {
                Some(f) => {
                    assert_eq!(f.name(), op.symbol());
                    assert_eq!(f.operator(), Some(op));
                }
                None => assert_eq!(op, MatMul),
            }
        }
        let builtins: Vec<&str> = BinaryFn::ALL
            .iter()
            .filter(|f| f.operator().is_none())
            .map(|f| f.name())
            .collect();
        assert_eq!(
            builtins,
            [
                "minimum",
                "maximum",
                "arctan2",
                "startswith",
                "endswith",
                "contains"
            ]
        );
    }
}
