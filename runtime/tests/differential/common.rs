//! The generator and the judge of the differential tests: a seeded random
//! source, random elementwise programs and arrays, owned layouts of
//! ndarray values, and the comparison of a JIT result with the
//! interpreter's within the stated float bound.

use blaze_datashape::Scalar;
use blaze_interp::{kernels, Array, Value};
use half::f16;
use ndarray::{ArrayD, Axis, IxDyn, Slice};

/// splitmix64: small, seedable, good enough for test generation.
pub struct Rng(u64);

impl Rng {
    /// The generator seeded with `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// A number in `0..n` (0 for `n` = 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// One of `items` (not empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    /// A float in `lo..hi`.
    pub fn float(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next() >> 11) as f64 / (1u64 << 53) as f64)
    }
}

/// The input element types, float64 and float32 twice as likely.
pub const SCALARS: &[Scalar] = &[
    Scalar::Bool,
    Scalar::Int8,
    Scalar::Int16,
    Scalar::Int32,
    Scalar::Int64,
    Scalar::UInt8,
    Scalar::UInt16,
    Scalar::UInt32,
    Scalar::UInt64,
    Scalar::Float16,
    Scalar::Float32,
    Scalar::Float64,
    Scalar::Float64,
    Scalar::Float32,
];

// Functions whose error grows with their argument (periodic ones) or
// without bound near a point (inverse sine and cosine at ±1) take inputs
// only, like the discontinuous ones: a last-bit difference in a computed
// argument could otherwise move their result far.
const SMOOTH_UNARY: &[&str] = &[
    "-", "abs", "sqrt", "exp", "log", "log2", "log10", "arctan", "sinh", "cosh", "tanh", "sign",
    "not ", "isnan",
];
const LEAF_UNARY: &[&str] = &[
    "floor", "ceil", "round", "sin", "cos", "tan", "arcsin", "arccos",
];
const SMOOTH_BINARY: &[&str] = &["+", "-", "*", "/", "**", "minimum", "maximum", "arctan2"];
const LEAF_BINARY: &[&str] = &["//", "%", "<", "<=", ">", ">=", "==", "!=", "and", "or"];

/// A random elementwise expression over the names in `leaves`.
pub fn expr(rng: &mut Rng, leaves: &[String], depth: usize) -> String {
    let leaf = |rng: &mut Rng| -> String {
        if rng.chance(0.2) {
            match rng.below(4) {
                0 => format!("{}", rng.below(5) as i64 - 2),
                1 => format!("{:.2}", rng.float(-3.0, 3.0)),
                2 => "true".to_string(),
                _ => format!("{}", rng.below(100)),
            }
        } else {
            rng.pick(leaves).clone()
        }
    };
    if depth == 0 || rng.chance(0.25) {
        return leaf(rng);
    }
    match rng.below(10) {
        0..=2 => {
            let f = rng.pick(SMOOTH_UNARY);
            let a = expr(rng, leaves, depth - 1);
            match *f {
                "-" | "not " => format!("({f}{a})"),
                _ => format!("{f}({a})"),
            }
        }
        3 => format!("{}({})", rng.pick(LEAF_UNARY), leaf(rng)),
        4..=6 => {
            let f = rng.pick(SMOOTH_BINARY);
            let (a, b) = (expr(rng, leaves, depth - 1), expr(rng, leaves, depth - 1));
            if f.chars().all(|c| c.is_ascii_alphanumeric()) {
                format!("{f}({a}, {b})")
            } else {
                format!("({a} {f} {b})")
            }
        }
        7 => format!("({} {} {})", leaf(rng), rng.pick(LEAF_BINARY), leaf(rng)),
        8 => {
            let t = rng.pick(&[
                "int8", "int32", "uint16", "int64", "float32", "float64", "bool", "uint8",
            ]);
            format!("cast({}, {t})", leaf(rng))
        }
        _ => format!(
            "where({} {} {}, {}, {})",
            leaf(rng),
            rng.pick(&["<", ">", "!="]),
            leaf(rng),
            expr(rng, leaves, depth - 1),
            expr(rng, leaves, depth - 1)
        ),
    }
}

/// Optionally wraps the expression in a reduction.
pub fn program(rng: &mut Rng, leaves: &[String], rank: usize) -> String {
    let depth = 1 + rng.below(3);
    let e = expr(rng, leaves, depth);
    if rng.chance(0.35) {
        let f = rng.pick(&[
            "sum", "prod", "min", "max", "any", "all", "mean", "sum", "max",
        ]);
        let axis = match (rank, rng.below(4)) {
            (0, _) | (_, 0) => String::new(),
            (r, 1) => format!(", axis={}", rng.below(r)),
            (r, 2) => format!(", axis={}", -(1 + rng.below(r) as i64)),
            (r, _) if r >= 2 => ", axis=(0, 1)".to_string(),
            _ => String::new(),
        };
        let keep = if rng.chance(0.2) {
            ", keepdims=true"
        } else {
            ""
        };
        format!("{f}({e}{axis}{keep})")
    } else {
        e
    }
}

pub fn random_array(rng: &mut Rng, s: Scalar, shape: &[usize]) -> Array {
    let n: usize = shape.iter().product();
    let sh = IxDyn(shape);
    let ints = |rng: &mut Rng, lo: i64, hi: i64, min: i64, max: i64| -> Vec<i64> {
        (0..n)
            .map(|_| {
                if rng.chance(0.03) {
                    if rng.chance(0.5) {
                        min
                    } else {
                        max
                    }
                } else {
                    lo + rng.below((hi - lo + 1) as usize) as i64
                }
            })
            .collect()
    };
    let floats = |rng: &mut Rng| -> Vec<f64> {
        (0..n)
            .map(|_| match rng.below(60) {
                0 => f64::NAN,
                1 => f64::INFINITY,
                2 => 0.0,
                3 => -0.0,
                _ => rng.float(-4.0, 4.0),
            })
            .collect()
    };
    macro_rules! arr {
        ($variant:ident, $t:ty, $v:expr) => {
            Array::$variant(
                ArrayD::from_shape_vec(sh, $v.into_iter().map(|x| x as $t).collect()).unwrap(),
            )
        };
    }
    match s {
        Scalar::Bool => Array::Bool(
            ArrayD::from_shape_vec(sh, (0..n).map(|_| rng.chance(0.5)).collect()).unwrap(),
        ),
        Scalar::Int8 => arr!(Int8, i8, ints(rng, -20, 20, i8::MIN as i64, i8::MAX as i64)),
        Scalar::Int16 => arr!(
            Int16,
            i16,
            ints(rng, -20, 20, i16::MIN as i64, i16::MAX as i64)
        ),
        Scalar::Int32 => arr!(
            Int32,
            i32,
            ints(rng, -20, 20, i32::MIN as i64, i32::MAX as i64)
        ),
        Scalar::Int64 => arr!(Int64, i64, ints(rng, -20, 20, i64::MIN, i64::MAX)),
        Scalar::UInt8 => arr!(UInt8, u8, ints(rng, 0, 40, 0, u8::MAX as i64)),
        Scalar::UInt16 => arr!(UInt16, u16, ints(rng, 0, 40, 0, u16::MAX as i64)),
        Scalar::UInt32 => arr!(UInt32, u32, ints(rng, 0, 40, 0, u32::MAX as i64)),
        Scalar::UInt64 => arr!(UInt64, u64, ints(rng, 0, 40, 0, i64::MAX)),
        Scalar::Float16 => Array::Float16(
            ArrayD::from_shape_vec(sh, floats(rng).into_iter().map(f16::from_f64).collect())
                .unwrap(),
        ),
        Scalar::Float32 => arr!(Float32, f32, floats(rng)),
        _ => arr!(Float64, f64, floats(rng)),
    }
}

/// The same values in another memory layout: transposed storage, reversed
/// or stepped axes.
pub fn relayout(rng: &mut Rng, a: Array) -> (Array, &'static str) {
    macro_rules! go {
        ($x:expr, $wrap:expr) => {{
            let mut x = $x;
            let nd = x.ndim();
            let how = if nd == 0 { 0 } else { rng.below(4) };
            let label = match how {
                1 => {
                    // Same logical array, Fortran-order storage.
                    let t = x.t().as_standard_layout().into_owned();
                    x = t.reversed_axes();
                    "fortran"
                }
                2 => {
                    let ax = rng.below(nd);
                    let rev = x.slice_axis(Axis(ax), Slice::new(0, None, -1)).to_owned();
                    // Store reversed, view reversed again: negative strides.
                    let mut y = rev;
                    y.invert_axis(Axis(ax));
                    x = y;
                    "negative"
                }
                3 => {
                    // Every other element of a larger array.
                    let ax = rng.below(nd);
                    let mut shape = x.shape().to_vec();
                    shape[ax] *= 2;
                    let mut big = ndarray::ArrayD::from_elem(
                        IxDyn(&shape),
                        x.iter().next().cloned().unwrap_or_default(),
                    );
                    big.slice_axis_mut(Axis(ax), Slice::new(0, None, 2))
                        .assign(&x);
                    big.slice_axis_inplace(Axis(ax), Slice::new(0, None, 2));
                    x = big;
                    "stepped"
                }
                _ => "contiguous",
            };
            ($wrap(x), label)
        }};
    }
    match a {
        Array::Bool(x) => go!(x, Array::Bool),
        Array::Int8(x) => go!(x, Array::Int8),
        Array::Int16(x) => go!(x, Array::Int16),
        Array::Int32(x) => go!(x, Array::Int32),
        Array::Int64(x) => go!(x, Array::Int64),
        Array::UInt8(x) => go!(x, Array::UInt8),
        Array::UInt16(x) => go!(x, Array::UInt16),
        Array::UInt32(x) => go!(x, Array::UInt32),
        Array::UInt64(x) => go!(x, Array::UInt64),
        Array::Float16(x) => go!(x, Array::Float16),
        Array::Float32(x) => go!(x, Array::Float32),
        Array::Float64(x) => go!(x, Array::Float64),
        other => (other, "contiguous"),
    }
}

/// Whether `a` is within the bound of `b` (NaN meets NaN, an infinity the
/// same infinity).
pub fn close(a: f64, b: f64, tol: f64, atol: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if a.is_infinite() || b.is_infinite() {
        return a == b;
    }
    (a - b).abs() <= tol * (1.0 + b.abs()) + atol
}

/// The largest finite magnitude among the inputs (at least 1).
pub fn magnitude(inputs: &[Value]) -> f64 {
    let mut m: f64 = 1.0;
    for v in inputs {
        if let Value::Array { data, .. } = v {
            if let Array::Float64(x) = kernels::cast(data, Scalar::Float64) {
                for e in x.iter().filter(|e| e.is_finite()) {
                    m = m.max(e.abs());
                }
            }
        }
    }
    m
}

/// The float bound for a type (0 for exact types).
pub fn tolerance(s: Scalar) -> f64 {
    match s {
        Scalar::Float64 => 1e-9,
        Scalar::Float32 => 1e-3,
        Scalar::Float16 => 2e-2,
        _ => 0.0,
    }
}

/// `None` when equal within the bound, else where and how they differ.
/// `scale` is M · n of the bound; `floor` is the bound of the least precise
/// float type the program computes in (a float32 input or cast promoted to
/// a float64 result still carries float32 rounding).
pub fn compare(jit: &Value, reference: &Value, scale: f64, floor: f64) -> Option<String> {
    let (
        Value::Array {
            data: x,
            missing: mx,
        },
        Value::Array {
            data: y,
            missing: my,
        },
    ) = (jit, reference)
    else {
        return (jit != reference).then(|| "records or tuples differ".to_string());
    };
    if mx != my {
        return Some("missing masks differ".into());
    }
    if x.scalar() != y.scalar() || x.shape() != y.shape() {
        return Some(format!(
            "{} {:?} vs {} {:?}",
            x.scalar(),
            x.shape(),
            y.scalar(),
            y.shape()
        ));
    }
    let tol = tolerance(x.scalar());
    if tol == 0.0 {
        return (x != y).then(|| {
            format!(
                "integer/bool results differ: jit {}, reference {}",
                values_text(jit),
                values_text(reference)
            )
        });
    }
    let tol = tol.max(floor);
    let (Array::Float64(a), Array::Float64(b)) = (
        kernels::cast(x, Scalar::Float64),
        kernels::cast(y, Scalar::Float64),
    ) else {
        return Some("not comparable".into());
    };
    for (i, (p, q)) in a.iter().zip(b.iter()).enumerate() {
        // A sum or product whose partial results overflow differs with the
        // association: ∞·0 or ∞−∞ is NaN in one order and a number in
        // another. Accepted only when the operands are that large.
        let overflowing =
            scale >= 1e15 && (p.is_nan() || q.is_nan() || p.is_infinite() || q.is_infinite());
        if !overflowing && !close(*p, *q, tol, tol * scale) {
            return Some(format!("element {i}: jit {p:e}, reference {q:e}"));
        }
    }
    None
}

/// `None` when the JIT's outcome agrees with the interpreter's, else how
/// they differ: results within the float bound (M · n as in the file's
/// doc, the precision floor from the inputs' types and float32 casts in
/// `src`), or errors with the same text.
pub fn judge<E: std::fmt::Display, F: std::fmt::Display>(
    src: &str,
    inputs: &[Value],
    jit: Result<&Value, &E>,
    reference: Result<&Value, &F>,
) -> Option<String> {
    match (jit, reference) {
        (Ok(j), Ok(r)) => {
            let terms = match r {
                Value::Array { data, .. } => {
                    let biggest = inputs.iter().map(|v| match v {
                        Value::Array { data, .. } => data.len(),
                        _ => 1,
                    });
                    (biggest.max().unwrap_or(1) / data.len().max(1)).max(1)
                }
                _ => 1,
            };
            let mut floor = tolerance(Scalar::Float64);
            for v in inputs {
                if let Value::Array { data, .. } = v {
                    floor = floor.max(tolerance(data.scalar()));
                }
            }
            if src.contains("float32") {
                floor = floor.max(tolerance(Scalar::Float32));
            }
            compare(j, r, magnitude(inputs) * terms as f64, floor)
        }
        (Err(a), Err(b)) if a.to_string() == b.to_string() => None,
        (Err(a), Err(b)) => Some(format!("different errors: jit `{a}`, reference `{b}`")),
        (Ok(_), Err(e)) => Some(format!("jit succeeded, reference failed: {e}")),
        (Err(e), Ok(_)) => Some(format!("jit failed: {e}")),
    }
}

/// The first elements of a value in C order, for failure messages.
pub fn values_text(v: &Value) -> String {
    const SHOWN: usize = 24;
    match v {
        Value::Array { data, .. } => {
            let (items, n): (Vec<String>, usize) = blaze_interp::with_array!(data, x => (
                x.iter().take(SHOWN).map(|e| format!("{e:?}")).collect(),
                x.len(),
            ));
            let more = if n > SHOWN {
                format!(", … ({n} elements)")
            } else {
                String::new()
            };
            format!("[{}{more}]", items.join(", "))
        }
        other => format!("{other:?}"),
    }
}
