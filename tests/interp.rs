//! The reference interpreter against NumPy.
//!
//! `tests/data/interp/cases.txt` lists cases (its header gives the format):
//! a blaze expression or a definition of `tests/data/interp/examples.blz`,
//! `.npy` inputs and the `.npy` results NumPy computed for it, and how to
//! compare. `tests/data/interp/make_fixtures.py` writes all of them; this
//! test needs no Python. Each case is type-checked (in expression mode the
//! inputs' types are their arrays' fixed shapes and dtypes), evaluated with
//! `blaze::interp::eval` and compared; every failing case is reported with
//! its name, the largest error and where it is.

use blaze::datashape::{Datashape, Dim, Measure};
use blaze::interp::{eval, Array, Value};
use blaze::ir::{compile_expression, compile_module, Function, Program};
use blaze::runtime::io::npy::read_npy;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/interp")
}

// ------------------------------------------------------------------ manifest

/// How a result is compared with NumPy's.
#[derive(Clone, Debug)]
enum Mode {
    /// Same dtype and shape, equal elements (NaN equals NaN).
    Exact,
    /// `|a - e| <= atol + rtol * |e|` elementwise, or with `norm`,
    /// `|a - e| <= rtol * max|e|`.
    Close { rtol: f64, atol: f64, norm: bool },
    /// `(U, s, Vh)` against NumPy's singular values and the matrix.
    Svd(f64),
    /// `(values, vectors)` against NumPy's eigenvalues and the matrix.
    Eig(f64),
    /// As `Eig`, real ascending eigenvalues and orthonormal vectors.
    Eigh(f64),
    /// Only type-checked.
    TypeCheck,
}

#[derive(Debug)]
struct Case {
    line: usize,
    name: String,
    source: String,
    inputs: Vec<(String, String)>,
    expected: Vec<String>,
    mode: Mode,
}

fn parse_mode(text: &str) -> Result<Mode, String> {
    let mut words = text.split_whitespace().peekable();
    let kind = match words.peek() {
        Some(&w) if !w.contains('=') => {
            words.next();
            w
        }
        _ => "close",
    };
    let mut keys: HashMap<&str, f64> = HashMap::new();
    for w in words {
        let (k, v) = w
            .split_once('=')
            .ok_or_else(|| format!("mode: expected KEY=VALUE, found `{w}`"))?;
        let v: f64 = v
            .parse()
            .map_err(|_| format!("mode: `{w}` is not a number"))?;
        keys.insert(k, v);
    }
    let tol = |keys: &HashMap<&str, f64>| {
        keys.get("tol")
            .copied()
            .ok_or_else(|| format!("mode `{kind}` needs tol=T"))
    };
    match kind {
        "exact" if keys.is_empty() => Ok(Mode::Exact),
        "typecheck" if keys.is_empty() => Ok(Mode::TypeCheck),
        "svd" => Ok(Mode::Svd(tol(&keys)?)),
        "eig" => Ok(Mode::Eig(tol(&keys)?)),
        "eigh" => Ok(Mode::Eigh(tol(&keys)?)),
        "close" => {
            if let Some(&r) = keys.get("nrtol") {
                return Ok(Mode::Close {
                    rtol: r,
                    atol: 0.0,
                    norm: true,
                });
            }
            let rtol = keys.get("rtol").copied();
            let atol = keys.get("atol").copied();
            if rtol.is_none() && atol.is_none() {
                return Err(format!("mode `{text}`: expected rtol= or nrtol="));
            }
            Ok(Mode::Close {
                rtol: rtol.unwrap_or(0.0),
                atol: atol.unwrap_or(0.0),
                norm: false,
            })
        }
        _ => Err(format!("unknown mode `{text}`")),
    }
}

fn read_manifest() -> Vec<Case> {
    let path = data_dir().join("cases.txt");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut cases = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let body = raw.split(" # ").next().unwrap_or("").trim();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = body.split(" | ").map(str::trim).collect();
        let [name, source, inputs, expected, mode] = fields[..] else {
            panic!("cases.txt:{line}: expected 5 fields separated by ` | `, found {fields:?}");
        };
        let list = |s: &str| -> Vec<String> {
            if s == "-" {
                Vec::new()
            } else {
                s.split_whitespace().map(String::from).collect()
            }
        };
        let inputs = list(inputs)
            .into_iter()
            .map(|pair| match pair.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => panic!("cases.txt:{line}: input `{pair}` is not NAME=FILE"),
            })
            .collect();
        let mode = parse_mode(mode).unwrap_or_else(|e| panic!("cases.txt:{line}: {e}"));
        cases.push(Case {
            line,
            name: name.to_string(),
            source: source.to_string(),
            inputs,
            expected: list(expected),
            mode,
        });
    }
    cases
}

fn load(file: &str) -> Result<Array, String> {
    read_npy(&data_dir().join(file)).map_err(|e| format!("cannot read {file}: {e}"))
}

fn examples() -> Program {
    let path = data_dir().join("examples.blz");
    let src = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    compile_module(&src).unwrap_or_else(|d| panic!("examples.blz does not compile: {d}"))
}

// ------------------------------------------------------------------ numbers

/// A complex number, enough arithmetic for the invariant checks.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Z(f64, f64);

impl Z {
    fn abs(self) -> f64 {
        self.0.hypot(self.1)
    }
    fn conj(self) -> Z {
        Z(self.0, -self.1)
    }
    fn is_nan(self) -> bool {
        self.0.is_nan() || self.1.is_nan()
    }
}

impl std::ops::Add for Z {
    type Output = Z;
    fn add(self, o: Z) -> Z {
        Z(self.0 + o.0, self.1 + o.1)
    }
}

impl std::ops::Sub for Z {
    type Output = Z;
    fn sub(self, o: Z) -> Z {
        Z(self.0 - o.0, self.1 - o.1)
    }
}

impl std::ops::Mul for Z {
    type Output = Z;
    fn mul(self, o: Z) -> Z {
        Z(self.0 * o.0 - self.1 * o.1, self.0 * o.1 + self.1 * o.0)
    }
}

impl std::fmt::Display for Z {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.1 == 0.0 {
            write!(f, "{:e}", self.0)
        } else {
            write!(f, "{:e}{:+e}j", self.0, self.1)
        }
    }
}

/// The elements in logical (row-major) order, as complex numbers.
fn elems(a: &Array) -> Vec<Z> {
    macro_rules! re {
        ($a:expr, $f:expr) => {
            $a.iter().map(|&x| Z($f(x), 0.0)).collect()
        };
    }
    match a {
        Array::Bool(a) => re!(a, |x: bool| f64::from(u8::from(x))),
        Array::Int8(a) => re!(a, f64::from),
        Array::Int16(a) => re!(a, f64::from),
        Array::Int32(a) => re!(a, f64::from),
        Array::Int64(a) => re!(a, |x: i64| x as f64),
        Array::UInt8(a) => re!(a, f64::from),
        Array::UInt16(a) => re!(a, f64::from),
        Array::UInt32(a) => re!(a, f64::from),
        Array::UInt64(a) => re!(a, |x: u64| x as f64),
        Array::Float16(a) => a.iter().map(|x| Z(x.to_f64(), 0.0)).collect(),
        Array::Float32(a) => re!(a, f64::from),
        Array::Float64(a) => re!(a, |x: f64| x),
        Array::Complex64(a) => a
            .iter()
            .map(|z| Z(f64::from(z.re), f64::from(z.im)))
            .collect(),
        Array::Complex128(a) => a.iter().map(|z| Z(z.re, z.im)).collect(),
    }
}

/// The elements of a bool or integer array, exactly.
fn ints(a: &Array) -> Option<Vec<i128>> {
    macro_rules! conv {
        ($a:expr) => {
            Some($a.iter().map(|&x| i128::from(x)).collect())
        };
    }
    match a {
        Array::Bool(a) => conv!(a),
        Array::Int8(a) => conv!(a),
        Array::Int16(a) => conv!(a),
        Array::Int32(a) => conv!(a),
        Array::Int64(a) => conv!(a),
        Array::UInt8(a) => conv!(a),
        Array::UInt16(a) => conv!(a),
        Array::UInt32(a) => conv!(a),
        Array::UInt64(a) => conv!(a),
        _ => None,
    }
}

fn unravel(mut flat: usize, shape: &[usize]) -> String {
    let mut idx = vec![0; shape.len()];
    for (k, &n) in shape.iter().enumerate().rev() {
        if n > 0 {
            idx[k] = flat % n;
            flat /= n;
        }
    }
    format!("{idx:?}")
}

fn type_of(a: &Array) -> String {
    let mut s = String::new();
    for n in a.shape() {
        let _ = write!(s, "{n} * ");
    }
    let _ = write!(s, "{}", a.scalar());
    s
}

// --------------------------------------------------------------- comparison

fn same_type(actual: &Array, expected: &Array) -> Result<(), String> {
    if actual.scalar() != expected.scalar() || actual.shape() != expected.shape() {
        return Err(format!(
            "type: expected `{}`, found `{}`",
            type_of(expected),
            type_of(actual)
        ));
    }
    Ok(())
}

fn compare_exact(actual: &Array, expected: &Array) -> Result<(), String> {
    same_type(actual, expected)?;
    let shape = expected.shape();
    if let (Some(a), Some(e)) = (ints(actual), ints(expected)) {
        let bad: Vec<usize> = (0..a.len()).filter(|&i| a[i] != e[i]).collect();
        if let Some(&i) = bad.first() {
            let worst = bad
                .iter()
                .copied()
                .max_by_key(|&i| (a[i] - e[i]).abs())
                .unwrap_or(i);
            return Err(format!(
                "{} of {} elements differ; first at {}: actual {}, expected {}; max error {} at {}",
                bad.len(),
                a.len(),
                unravel(i, shape),
                a[i],
                e[i],
                (a[worst] - e[worst]).abs(),
                unravel(worst, shape)
            ));
        }
        return Ok(());
    }
    let (a, e) = (elems(actual), elems(expected));
    let equal = |x: f64, y: f64| x == y || (x.is_nan() && y.is_nan());
    let bad: Vec<usize> = (0..a.len())
        .filter(|&i| !(equal(a[i].0, e[i].0) && equal(a[i].1, e[i].1)))
        .collect();
    if let Some(&i) = bad.first() {
        let err = |i: usize| {
            let d = (a[i] - e[i]).abs();
            if d.is_nan() {
                f64::INFINITY
            } else {
                d
            }
        };
        let worst = bad
            .iter()
            .copied()
            .max_by(|&x, &y| err(x).total_cmp(&err(y)))
            .unwrap_or(i);
        return Err(format!(
            "{} of {} elements differ; first at {}: actual {}, expected {}; max error {:e} (relative {:e}) at {}: actual {}, expected {}",
            bad.len(),
            a.len(),
            unravel(i, shape),
            a[i],
            e[i],
            err(worst),
            err(worst) / e[worst].abs(),
            unravel(worst, shape),
            a[worst],
            e[worst]
        ));
    }
    Ok(())
}

fn compare_close(
    actual: &Array,
    expected: &Array,
    rtol: f64,
    atol: f64,
    norm: bool,
) -> Result<(), String> {
    same_type(actual, expected)?;
    let shape = expected.shape();
    let (a, e) = (elems(actual), elems(expected));
    let scale = e
        .iter()
        .map(|z| z.abs())
        .filter(|x| x.is_finite())
        .fold(0.0, f64::max);
    let mut worst: Option<(usize, f64, f64)> = None; // (index, error, error / allowed)
    let mut bad = 0;
    for (i, (&x, &y)) in a.iter().zip(&e).enumerate() {
        let allowed = if norm {
            rtol * scale
        } else {
            atol + rtol * y.abs()
        };
        let err = if x.is_nan() && y.is_nan() || x == y {
            0.0 // also equal infinities
        } else if x.is_nan() || y.is_nan() {
            f64::INFINITY
        } else {
            (x - y).abs()
        };
        if !(err <= allowed && err.is_finite()) {
            bad += 1;
        }
        let ratio = if err == 0.0 { 0.0 } else { err / allowed };
        if worst.is_none_or(|(_, _, r)| ratio > r) {
            worst = Some((i, err, ratio));
        }
    }
    if bad > 0 {
        let (i, err, _) = worst.unwrap_or((0, 0.0, 0.0));
        let rel = if norm { err / scale } else { err / e[i].abs() };
        return Err(format!(
            "{bad} of {} elements out of tolerance; max error {err:e} ({} {rel:e}) at {}: actual {}, expected {}",
            a.len(),
            if norm { "relative to max|expected|" } else { "relative" },
            unravel(i, shape),
            a[i],
            e[i]
        ));
    }
    Ok(())
}

/// A dense complex matrix.
#[derive(Clone, Debug)]
struct Mat {
    rows: usize,
    cols: usize,
    d: Vec<Z>,
}

impl Mat {
    fn of(a: &Array, what: &str) -> Result<Mat, String> {
        match a.shape() {
            &[rows, cols] => Ok(Mat {
                rows,
                cols,
                d: elems(a),
            }),
            s => Err(format!("{what}: expected a matrix, found shape {s:?}")),
        }
    }
    fn at(&self, i: usize, j: usize) -> Z {
        self.d[i * self.cols + j]
    }
    fn mul(&self, o: &Mat) -> Mat {
        let mut d = vec![Z(0.0, 0.0); self.rows * o.cols];
        for i in 0..self.rows {
            for j in 0..o.cols {
                let mut acc = Z(0.0, 0.0);
                for k in 0..self.cols {
                    acc = acc + self.at(i, k) * o.at(k, j);
                }
                d[i * o.cols + j] = acc;
            }
        }
        Mat {
            rows: self.rows,
            cols: o.cols,
            d,
        }
    }
    /// The conjugate transpose.
    fn h(&self) -> Mat {
        let mut d = Vec::with_capacity(self.d.len());
        for j in 0..self.cols {
            for i in 0..self.rows {
                d.push(self.at(i, j).conj());
            }
        }
        Mat {
            rows: self.cols,
            cols: self.rows,
            d,
        }
    }
    fn max_abs(&self) -> f64 {
        self.d.iter().map(|z| z.abs()).fold(0.0, f64::max)
    }
    fn frobenius(&self) -> f64 {
        self.d
            .iter()
            .map(|z| z.0 * z.0 + z.1 * z.1)
            .sum::<f64>()
            .sqrt()
    }
    /// `max |self - identity|`, for orthonormality.
    fn dist_identity(&self) -> f64 {
        let mut m: f64 = 0.0;
        for i in 0..self.rows {
            for j in 0..self.cols {
                let id = if i == j { Z(1.0, 0.0) } else { Z(0.0, 0.0) };
                m = m.max((self.at(i, j) - id).abs());
            }
        }
        m
    }
    /// `max |self - o|`, and where.
    fn dist(&self, o: &Mat) -> (f64, usize) {
        let mut best = (0.0, 0);
        for (i, (x, y)) in self.d.iter().zip(&o.d).enumerate() {
            let e = (*x - *y).abs();
            if e > best.0 || e.is_nan() {
                best = (e, i);
            }
        }
        best
    }
}

fn check(ok: bool, msg: impl FnOnce() -> String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(msg())
    }
}

fn check_svd(parts: &[Array], expected: &[Array], tol: f64) -> Result<(), String> {
    let [u, s, vh] = parts else {
        return Err(format!(
            "svd: expected a tuple (U, s, Vh), found {} values",
            parts.len()
        ));
    };
    let [s_np, a] = expected else {
        return Err("svd mode needs expected singular values and matrix".into());
    };
    compare_close(s, s_np, tol, 0.0, true).map_err(|e| format!("singular values: {e}"))?;
    let a = Mat::of(a, "A")?;
    let (u, vh) = (Mat::of(u, "U")?, Mat::of(vh, "Vh")?);
    let k = s.len();
    check(
        u.rows == a.rows && u.cols == k && vh.rows == k && vh.cols == a.cols,
        || {
            format!(
                "svd shapes: U {}x{}, s {k}, Vh {}x{} for A {}x{}",
                u.rows, u.cols, vh.rows, vh.cols, a.rows, a.cols
            )
        },
    )?;
    let sv = elems(s);
    let mut us = u.clone();
    for (i, z) in us.d.iter_mut().enumerate() {
        *z = *z * sv[i % k];
    }
    let recon = us.mul(&vh);
    let (err, at) = recon.dist(&a);
    let scale = a.max_abs();
    check(err <= tol * scale, || {
        format!(
            "U diag(s) Vh != A: max error {err:e} (relative {:e}) at {}",
            err / scale,
            unravel(at, &[a.rows, a.cols])
        )
    })?;
    let du = u.h().mul(&u).dist_identity();
    check(du <= tol, || {
        format!("U is not orthonormal: |U^H U - I| = {du:e}")
    })?;
    let dv = vh.mul(&vh.h()).dist_identity();
    check(dv <= tol, || {
        format!("Vh is not orthonormal: |Vh Vh^H - I| = {dv:e}")
    })
}

fn check_eig(parts: &[Array], expected: &[Array], tol: f64, hermitian: bool) -> Result<(), String> {
    let [w, v] = parts else {
        return Err(format!(
            "eig: expected a tuple (values, vectors), found {} values",
            parts.len()
        ));
    };
    let [w_np, a] = expected else {
        return Err("eig mode needs expected eigenvalues and matrix".into());
    };
    same_type(w, w_np).map_err(|e| format!("eigenvalues: {e}"))?;
    // eig: vectors of the values' (complex) type; eigh: of the matrix's type.
    let vector_type = if hermitian { a.scalar() } else { w.scalar() };
    check(v.scalar() == vector_type, || {
        format!(
            "eigenvectors: expected element type {vector_type}, found {}",
            v.scalar()
        )
    })?;
    let (wa, we) = (elems(w), elems(w_np));
    let scale = we.iter().map(|z| z.abs()).fold(0.0, f64::max);
    if hermitian {
        compare_close(w, w_np, tol, 0.0, true).map_err(|e| format!("eigenvalues: {e}"))?;
    } else {
        // The same multiset: match every expected value with the nearest
        // unused actual one.
        let mut used = vec![false; wa.len()];
        let mut worst = (0.0, 0, 0);
        for (i, e) in we.iter().enumerate() {
            let best = (0..wa.len())
                .filter(|&j| !used[j])
                .min_by(|&x, &y| (wa[x] - *e).abs().total_cmp(&(wa[y] - *e).abs()));
            let Some(j) = best else {
                return Err("eigenvalues: fewer than expected".into());
            };
            used[j] = true;
            let err = (wa[j] - *e).abs();
            if err > worst.0 || err.is_nan() {
                worst = (err, i, j);
            }
        }
        let (err, i, j) = worst;
        check(err <= tol * scale, || {
            format!(
                "eigenvalues differ: max error {err:e} (relative to max|lambda| {:e}): actual {}, expected {} (actual values {}, expected {})",
                err / scale,
                wa[j],
                we[i],
                wa.iter().map(|z| z.to_string()).collect::<Vec<_>>().join(", "),
                we.iter().map(|z| z.to_string()).collect::<Vec<_>>().join(", ")
            )
        })?;
    }
    let a = Mat::of(a, "A")?;
    let v = Mat::of(v, "vectors")?;
    check(
        v.rows == a.rows && v.cols == a.rows && wa.len() == a.rows,
        || {
            format!(
                "eigenvectors: shape {}x{} for A {}x{}",
                v.rows, v.cols, a.rows, a.cols
            )
        },
    )?;
    let av = a.mul(&v);
    let anorm = a.frobenius();
    for (j, &lambda) in wa.iter().enumerate() {
        let norm = (0..v.rows)
            .map(|i| v.at(i, j).abs().powi(2))
            .sum::<f64>()
            .sqrt();
        check((norm - 1.0).abs() <= tol, || {
            format!("eigenvector {j} has norm {norm:e}, expected 1")
        })?;
        let res = (0..v.rows)
            .map(|i| (av.at(i, j) - lambda * v.at(i, j)).abs().powi(2))
            .sum::<f64>()
            .sqrt();
        check(res <= tol * anorm, || {
            format!(
                "|A v - lambda v| = {res:e} (relative to |A| {:e}) for eigenvalue {j} = {}",
                res / anorm,
                lambda
            )
        })?;
    }
    if hermitian {
        let d = v.h().mul(&v).dist_identity();
        check(d <= tol, || {
            format!("eigenvectors not orthonormal: |V^H V - I| = {d:e}")
        })?;
    }
    Ok(())
}

// --------------------------------------------------------------------- runs

/// Which engine a fixture runs on.
#[derive(Clone, Copy, PartialEq)]
enum Engine {
    Interp,
    /// The JIT engine: compiled kernels, BLAS/LAPACK, reference kernels
    /// for the rest.
    Jit,
}

fn run_case(case: &Case, program: &Program, engine: Engine) -> Result<(), String> {
    let mut values: Vec<(String, Value)> = Vec::new();
    for (name, file) in &case.inputs {
        values.push((name.clone(), Value::from(load(file)?)));
    }
    let compiled: Function;
    let function: &Function = match case.source.strip_prefix("module:") {
        Some(def) => program
            .function(def)
            .ok_or_else(|| format!("examples.blz has no definition `{def}`"))?,
        None => {
            let types: Vec<(String, Datashape)> = values
                .iter()
                .map(|(n, v)| {
                    let Value::Array { data, .. } = v else {
                        unreachable!("inputs are arrays")
                    };
                    let dims = data.shape().iter().map(|&n| Dim::Fixed(n as u64)).collect();
                    (
                        n.clone(),
                        Datashape::new(dims, Measure::scalar(data.scalar())),
                    )
                })
                .collect();
            compiled = compile_expression(&case.source, &types)
                .map_err(|d| format!("does not compile: {d}"))?;
            &compiled
        }
    };
    if matches!(case.mode, Mode::TypeCheck) {
        return Ok(());
    }
    let mut args = Vec::new();
    for (name, _) in &function.params {
        match values.iter().find(|(n, _)| n == name) {
            Some((_, v)) => args.push(v.clone()),
            None => return Err(format!("no input for parameter `{name}`")),
        }
    }
    if let Some((n, _)) = values
        .iter()
        .find(|(n, _)| !function.params.iter().any(|(p, _)| p == n))
    {
        return Err(format!("input `{n}` is not a parameter"));
    }
    let result = catch_unwind(AssertUnwindSafe(|| match engine {
        Engine::Interp => eval(function, &args).map_err(|e| e.to_string()),
        Engine::Jit => blaze::runtime::exec::prepare(function)
            .run(&args, &blaze::runtime::exec::Options::default())
            .map(|(v, _)| v)
            .map_err(|e| e.to_string()),
    }))
    .map_err(|p| {
        let msg = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        format!("the interpreter panicked: {msg}")
    })?
    .map_err(|e| format!("evaluation failed: {e}"))?;
    // The result as arrays (the elements of a tuple).
    let to_array = |v: &Value| -> Result<Array, String> {
        match v {
            Value::Array {
                data,
                missing: None,
            } => Ok(data.clone()),
            Value::Array {
                data,
                missing: Some(m),
            } if !m.iter().any(|&x| x) => Ok(data.clone()),
            Value::Array { .. } => Err("the result has missing values".into()),
            other => Err(format!("expected an array, found {other:?}")),
        }
    };
    let parts: Vec<Array> = match &result {
        Value::Tuple(items) => items.iter().map(to_array).collect::<Result<_, _>>()?,
        v => vec![to_array(v)?],
    };
    // The checker's type must be what the interpreter produced (expression
    // mode only: definitions have symbolic dimensions).
    if !case.source.starts_with("module:") {
        let actual = match &result {
            Value::Tuple(_) => format!(
                "({}{})",
                parts.iter().map(type_of).collect::<Vec<_>>().join(", "),
                if parts.len() == 1 { "," } else { "" }
            ),
            _ => type_of(&parts[0]),
        };
        let inferred = function.result_type().to_string();
        check(inferred == actual, || {
            format!("the checker says `{inferred}`, the interpreter gave `{actual}`")
        })?;
    }
    let expected: Vec<Array> = case
        .expected
        .iter()
        .map(|f| load(f))
        .collect::<Result<_, _>>()?;
    match case.mode {
        Mode::Svd(tol) => return check_svd(&parts, &expected, tol),
        Mode::Eig(tol) => return check_eig(&parts, &expected, tol, false),
        Mode::Eigh(tol) => return check_eig(&parts, &expected, tol, true),
        _ => {}
    }
    let is_tuple = matches!(result, Value::Tuple(_));
    check(
        parts.len() == expected.len() && is_tuple == (expected.len() > 1),
        || {
            format!(
                "expected {} result{}, found {}{}",
                expected.len(),
                if expected.len() == 1 { "" } else { "s" },
                parts.len(),
                if is_tuple { " (a tuple)" } else { "" }
            )
        },
    )?;
    for (k, (a, e)) in parts.iter().zip(&expected).enumerate() {
        let r = match case.mode {
            Mode::Exact => compare_exact(a, e),
            Mode::Close { rtol, atol, norm } => compare_close(a, e, rtol, atol, norm),
            _ => unreachable!(),
        };
        r.map_err(|m| {
            if parts.len() > 1 {
                format!("element {k} of the tuple: {m}")
            } else {
                m
            }
        })?;
    }
    Ok(())
}

#[test]
fn numpy_fixtures() {
    fixtures_on(Engine::Interp, "interpreter");
}

/// The same NumPy fixtures on the JIT engine (its kernels, BLAS and LAPACK):
/// `eig` of a real matrix with complex eigenvalues matches NumPy's values
/// and vectors up to order and phase, `svd`/`qr` up to signs, and so on.
#[test]
fn numpy_fixtures_on_the_jit_engine() {
    fixtures_on(Engine::Jit, "JIT engine");
}

fn fixtures_on(engine: Engine, what: &str) {
    let cases = read_manifest();
    assert!(cases.len() > 100, "only {} cases in cases.txt", cases.len());
    let program = examples();
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(msg) = run_case(case, &program, engine) {
            failures.push(format!(
                "  {} (cases.txt:{}): `{}`\n      {msg}",
                case.name, case.line, case.source
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} {what} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn manifest_is_well_formed() {
    let cases = read_manifest();
    let mut names = std::collections::HashSet::new();
    for case in &cases {
        assert!(
            names.insert(&case.name),
            "case `{}` is listed twice",
            case.name
        );
        for f in case.inputs.iter().map(|(_, f)| f).chain(&case.expected) {
            assert!(
                data_dir().join(f).is_file(),
                "case `{}`: missing file {f}",
                case.name
            );
        }
    }
    // Every definition of examples.blz has a case.
    for f in &examples().functions {
        let source = format!("module:{}", f.name);
        assert!(
            cases.iter().any(|c| c.source == source),
            "no case for definition `{}` of examples.blz",
            f.name
        );
    }
    // The fixtures stay small.
    fn size(dir: &Path) -> u64 {
        std::fs::read_dir(dir)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| {
                        let p = e.path();
                        if p.is_dir() {
                            size(&p)
                        } else {
                            e.metadata().map_or(0, |m| m.len())
                        }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    let total = size(&data_dir());
    assert!(total < 300_000, "tests/data/interp holds {total} bytes");
}

#[test]
fn examples_type_check() {
    let program = examples();
    let expected = [
        ("axpy", "N * float64"),
        ("gram", "M * M * float64"),
        ("norms", "N * float64"),
        ("center", "N * M * float64"),
        ("cross", "3 * float64"),
        ("mm", "N * M * float64"),
        (
            "spectrum",
            "(N * complex[float64], N * N * complex[float64])",
        ),
        ("prices", "N * float64"),
        ("stats", "(float64, float64)"),
    ];
    let mut failures = Vec::new();
    for (name, ty) in expected {
        match program.function(name) {
            Some(f) => {
                let found = f.result_type().to_string();
                if found != ty {
                    failures.push(format!("{name}: expected `{ty}`, found `{found}`"));
                }
            }
            None => failures.push(format!("{name}: not defined in examples.blz")),
        }
    }
    for f in &program.functions {
        if !expected.iter().any(|(n, _)| *n == f.name) {
            failures.push(format!(
                "{}: defined in examples.blz but has no expected type here",
                f.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The parameter types of the definitions as written.
#[test]
fn examples_parameters() {
    let program = examples();
    let params = |name: &str| -> Vec<String> {
        program
            .function(name)
            .map(|f| f.params.iter().map(|(n, t)| format!("{n}: {t}")).collect())
            .unwrap_or_default()
    };
    assert_eq!(
        params("axpy"),
        ["a: float64", "x: N * float64", "y: N * float64"]
    );
    assert_eq!(params("prices"), ["p: N * Stock"]);
    assert_eq!(params("cross"), ["a: 3 * float64", "b: 3 * float64"]);
}
