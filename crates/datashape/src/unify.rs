//! Unification (LANGUAGE.md 1.5): broadcasting of dimensions, promotion of
//! measures, binding of type variables and ellipses.
//!
//! Two entry points:
//! - [`unify`]: the type of an elementwise combination of two datashapes
//!   (dimensions broadcast from the right, measures promoted);
//! - [`Unifier::unify_call`]: a function signature such as
//!   `(N * K * T, K * M * T) -> N * M * T` applied to argument datashapes.
//!
//! Rules, as implemented:
//! - In broadcasting, `1` yields to anything, `var[p] ⊔ var[q] = var[max]`
//!   (unbounded if either is), `var ⊔ n = n`, and a type variable is bound to
//!   what it meets (`N ⊔ 1` stays `N`: a 1 never binds a variable).
//! - In a signature, named dimensions (`N`, `K`) are *core* dimensions: every
//!   use must have the same length, no broadcasting of 1 (as NumPy's
//!   generalized ufuncs). Ellipses (`Dims...`) are *loop* dimensions: their
//!   uses broadcast together. Measure variables (`T`) promote together, so
//!   `add :: (Dims... * T, Dims... * T) -> Dims... * T` on `int32` and
//!   `float32` gives `float32`.
//! - An ellipsis takes the dimensions the other side has between the
//!   dimensions written before and after it; a lone `...` against a shorter
//!   shape takes none.
//! - Records, tuples, functions, strings, dates and the other non-numeric
//!   measures unify only with an equal type (type variables inside them may
//!   bind). `?T ⊔ U = ?(T ⊔ U)`, `null ⊔ T = ?T`.

use crate::env::TypeEnv;
use crate::error::ErrorKind;
use crate::types::{Datashape, Dim, Measure, Scalar, ScalarKind};
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;

/// The result of [`promote`]: the smallest measure both scalars convert to,
/// following the lattice bool < unsigned/signed < float < complex.
///
/// ```
/// use blaze_datashape::{promote, Scalar::*};
/// assert_eq!(promote(Int8, UInt8), Int16);
/// assert_eq!(promote(Int32, Float32), Float32); // not float64: the seed's (JAX's) lattice
/// assert_eq!(promote(Int64, UInt64), Float64);
/// assert_eq!(promote(Float64, Complex64), Complex128);
/// ```
pub fn promote(a: Scalar, b: Scalar) -> Scalar {
    use ScalarKind as K;
    if a == b {
        return a;
    }
    let (ka, kb) = (a.kind(), b.kind());
    let (lo, hi) = if ka <= kb { (a, b) } else { (b, a) };
    let widest = |kind, bits| Scalar::from_kind(kind, bits).unwrap_or(hi);
    match (lo.kind(), hi.kind()) {
        (K::Bool, _) => hi,
        (x, y) if x == y => widest(x, lo.bits().max(hi.bits())),
        (K::Unsigned, K::Signed) => {
            if lo.bits() >= 64 {
                Scalar::Float64
            } else {
                widest(K::Signed, hi.bits().max(lo.bits() * 2))
            }
        }
        (K::Unsigned | K::Signed, K::Float | K::Complex) => hi,
        (K::Float, K::Complex) => widest(K::Complex, lo.bits().max(hi.bits()).max(32)),
        _ => hi,
    }
}

/// Which operand, and which part of it, an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "axis", rename_all = "snake_case")]
pub enum Site {
    /// The dimension at this index (from the left).
    Dim(usize),
    /// The measure.
    Measure,
}

/// A place in one operand: operand 0 and 1 for [`unify`]; for
/// [`Unifier::unify_call`], operand `i` is argument `i`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    /// Which operand.
    pub operand: usize,
    /// Which part of it.
    pub site: Site,
}

/// Why two datashapes do not unify, and where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UnifyError {
    /// The category.
    pub kind: ErrorKind,
    /// What was expected and what was found.
    pub message: String,
    /// The parts of the operands involved (those that can be pointed at).
    pub locations: Vec<Location>,
}

impl fmt::Display for UnifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UnifyError {}

/// Unifies two datashapes: the type of an elementwise combination of them.
///
/// ```
/// use blaze_datashape::{parse, unify, TypeEnv};
/// let a = parse("3, 2, Var(10), int32").unwrap();
/// let b = parse("1, Var(100), float32").unwrap();
/// let u = unify(&a, &b, &TypeEnv::new()).unwrap();
/// assert_eq!(u.to_string(), "3 * 2 * var[100] * float32");
/// ```
pub fn unify(a: &Datashape, b: &Datashape, env: &TypeEnv) -> Result<Datashape, UnifyError> {
    let mut u = Unifier::new(env);
    u.unify(a, b)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum DimMode {
    /// Elementwise: 1 broadcasts, shorter shapes extend on the left.
    Broadcast,
    /// Core dimensions: equal lengths, equal rank.
    Strict,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum MeasureMode {
    Promote,
    Exact,
}

/// Operand numbers and labels used in messages.
#[derive(Clone, Copy)]
struct Ops<'l> {
    a: usize,
    b: usize,
    a_label: &'l str,
    b_label: &'l str,
    /// Added to dimension positions of `a` / `b` in messages.
    a_off: usize,
    b_off: usize,
}

/// A substitution being built: bindings of dimension variables, ellipses and
/// measure variables. Reuse one `Unifier` for several unifications that
/// share variables (one signature).
#[derive(Clone, Debug)]
pub struct Unifier<'e> {
    env: &'e TypeEnv,
    dims: HashMap<String, Dim>,
    ellipses: HashMap<String, Vec<Dim>>,
    measures: HashMap<String, Measure>,
    /// Where a signature variable got its binding: operand and axis (keys
    /// `d:N`, `m:T`, `e:Dims`), so that a later conflict names that place.
    origins: HashMap<String, (usize, Option<usize>)>,
    /// Depth inside records/tuples/functions/ellipsis bindings, where dim
    /// positions of the operands no longer apply.
    nested: usize,
}

/// One side of a conflict, as named in a message.
struct Side {
    label: String,
    phrase: String,
    location: Option<Location>,
}

fn is_sig(name: &str) -> bool {
    name.starts_with(SIG)
}

/// Signature variables are renamed apart from argument variables with this
/// prefix, which no source text can produce.
const SIG: &str = "$";

impl<'e> Unifier<'e> {
    /// A unifier without bindings; `env` gives the type definitions.
    pub fn new(env: &'e TypeEnv) -> Self {
        Unifier {
            env,
            dims: HashMap::new(),
            ellipses: HashMap::new(),
            measures: HashMap::new(),
            origins: HashMap::new(),
            nested: 0,
        }
    }

    /// The binding of dimension variable `name`, resolved.
    pub fn dim_binding(&self, name: &str) -> Option<Dim> {
        self.dims.get(name).map(|d| self.apply_dim(d))
    }

    /// The binding of measure variable `name`, resolved.
    pub fn measure_binding(&self, name: &str) -> Option<Measure> {
        self.measures.get(name).map(|m| self.apply_measure(m))
    }

    /// The binding of ellipsis `name`, resolved.
    pub fn ellipsis_binding(&self, name: &str) -> Option<Vec<Dim>> {
        self.ellipses.get(name).map(|d| self.apply_dims(d))
    }

    /// Unifies `a` and `b` (broadcasting and promotion), recording bindings
    /// of their type variables. Definitions are expanded when the two differ.
    pub fn unify(&mut self, a: &Datashape, b: &Datashape) -> Result<Datashape, UnifyError> {
        if a == b && self.dims.is_empty() && self.ellipses.is_empty() && self.measures.is_empty() {
            return Ok(a.clone());
        }
        let (a, b) = (self.env.expand(a), self.env.expand(b));
        let ops = Ops {
            a: 0,
            b: 1,
            a_label: "the left datashape",
            b_label: "the right datashape",
            a_off: 0,
            b_off: 0,
        };
        let r = self.datashape(&a, &b, DimMode::Broadcast, MeasureMode::Promote, ops)?;
        Ok(self.apply(&r))
    }

    /// Applies the function type `sig` (a [`Measure::Function`]) to
    /// arguments: each parameter is matched against its argument, and the
    /// result type comes out with the bindings applied.
    ///
    /// ```
    /// use blaze_datashape::{parse, TypeEnv, Unifier};
    /// let env = TypeEnv::new();
    /// let sig = parse("(N * K * T, K * M * T) -> N * M * T").unwrap().measure;
    /// let a = parse("5 * 3 * float32").unwrap();
    /// let b = parse("3 * 7 * float64").unwrap();
    /// let r = Unifier::new(&env).unify_call(&sig, &[a, b]).unwrap();
    /// assert_eq!(r.to_string(), "5 * 7 * float64");
    /// ```
    pub fn unify_call(
        &mut self,
        sig: &Measure,
        args: &[Datashape],
    ) -> Result<Datashape, UnifyError> {
        let Measure::Function { params, ret } = sig else {
            return Err(UnifyError {
                kind: ErrorKind::TypeMismatch,
                message: format!("expected a function type, found `{sig}`"),
                locations: vec![],
            });
        };
        if params.len() != args.len() {
            return Err(UnifyError {
                kind: ErrorKind::ArgumentCount,
                message: format!(
                    "the signature `{sig}` takes {} argument{}, found {}",
                    params.len(),
                    if params.len() == 1 { "" } else { "s" },
                    args.len()
                ),
                locations: vec![],
            });
        }
        for (i, (p, a)) in params.iter().zip(args).enumerate() {
            let p = rename(&self.env.expand(p));
            let a = self.env.expand(a);
            let label = format!("argument {}", i + 1);
            let ops = Ops {
                a: usize::MAX,
                b: i,
                a_label: "the signature",
                b_label: &label,
                a_off: 0,
                b_off: 0,
            };
            self.datashape(&p, &a, DimMode::Strict, MeasureMode::Promote, ops)?;
        }
        let r = self.apply(&rename(&self.env.expand(ret)));
        Ok(unrename(&r))
    }

    /// `ds` with every bound variable replaced by its binding.
    pub fn apply(&self, ds: &Datashape) -> Datashape {
        Datashape::new(self.apply_dims(&ds.dims), self.apply_measure(&ds.measure))
    }

    fn apply_dims(&self, dims: &[Dim]) -> Vec<Dim> {
        let mut out = Vec::with_capacity(dims.len());
        for d in dims {
            match d {
                Dim::Ellipsis(Some(name)) => match self.ellipses.get(name) {
                    Some(bound) if !bound.contains(d) => out.extend(self.apply_dims(bound)),
                    _ => out.push(d.clone()),
                },
                _ => out.push(self.apply_dim(d)),
            }
        }
        out
    }

    fn apply_dim(&self, d: &Dim) -> Dim {
        self.resolve_dim(d).0
    }

    fn apply_measure(&self, m: &Measure) -> Measure {
        match m {
            Measure::TypeVar { .. } => {
                let (r, _) = self.resolve_measure(m);
                match r {
                    Measure::TypeVar { .. } => r,
                    other => self.apply_measure(&other),
                }
            }
            Measure::Option { inner } => Measure::option(self.apply_measure(inner)),
            Measure::Record { fields } => Measure::Record {
                fields: fields
                    .iter()
                    .map(|(n, f)| (n.clone(), self.apply(f)))
                    .collect(),
            },
            Measure::Tuple { elems } => Measure::Tuple {
                elems: elems.iter().map(|e| self.apply(e)).collect(),
            },
            Measure::Function { params, ret } => Measure::Function {
                params: params.iter().map(|p| self.apply(p)).collect(),
                ret: Box::new(self.apply(ret)),
            },
            other => other.clone(),
        }
    }

    // ------------------------------------------------------------ datashapes

    fn datashape(
        &mut self,
        a: &Datashape,
        b: &Datashape,
        dm: DimMode,
        mm: MeasureMode,
        ops: Ops<'_>,
    ) -> Result<Datashape, UnifyError> {
        let dims = self.dims(&a.dims, &b.dims, dm, ops)?;
        let measure = self.measure(&a.measure, &b.measure, mm, ops)?;
        Ok(Datashape::new(dims, measure))
    }

    fn dims(
        &mut self,
        a: &[Dim],
        b: &[Dim],
        mode: DimMode,
        ops: Ops<'_>,
    ) -> Result<Vec<Dim>, UnifyError> {
        let ea = a.iter().position(is_ellipsis);
        let eb = b.iter().position(is_ellipsis);
        let ta = a.len() - ea.map_or(0, |i| i + 1);
        let tb = b.len() - eb.map_or(0, |i| i + 1);
        let n = ta.min(tb);
        let mut tail = Vec::with_capacity(n);
        for k in 0..n {
            let (ia, ib) = (a.len() - n + k, b.len() - n + k);
            tail.push(self.dim(&a[ia], &b[ib], mode, (ia, ib), ops)?);
        }
        let (ra, rb) = (&a[..a.len() - n], &b[..b.len() - n]);
        let mut head = match (ea, eb) {
            (None, None) => {
                if mode == DimMode::Strict && ra.len() != rb.len() {
                    return Err(self.rank_error(a, b, ops));
                }
                if ra.is_empty() {
                    rb.to_vec()
                } else {
                    ra.to_vec()
                }
            }
            (Some(i), None) => self.absorb(ra, i, rb, mode, ops, false, a, b)?,
            (None, Some(j)) => self.absorb(rb, j, ra, mode, ops, true, a, b)?,
            (Some(i), Some(j)) => {
                // One side's remainder ends with its ellipsis; the other's
                // ellipsis may have dimensions after it.
                let (a_pre, a_left) = (&ra[..i], &ra[i + 1..]);
                let (b_pre, b_left) = (&rb[..j], &rb[j + 1..]);
                self.nested += 1;
                let pre = self.dims(a_pre, b_pre, DimMode::Broadcast, ops);
                self.nested -= 1;
                let mut head = pre?;
                let merged = if a_left.is_empty() && b_left.is_empty() {
                    // Only the two ellipses are left: keep the named one; of
                    // two names, bind the later to the earlier, so that the
                    // result does not depend on the order of the operands.
                    let (ea, eb) = (&ra[i], &rb[j]);
                    match (ea, eb) {
                        (Dim::Ellipsis(Some(x)), Dim::Ellipsis(Some(y))) if x != y => {
                            let (from, to) = if x > y { (ea, eb) } else { (eb, ea) };
                            self.bind_ellipsis(from, vec![to.clone()], ops, None)?
                        }
                        (Dim::Ellipsis(None), _) => vec![eb.clone()],
                        _ => vec![ea.clone()],
                    }
                } else if a_left.is_empty() {
                    let mut rest = vec![rb[j].clone()];
                    rest.extend_from_slice(b_left);
                    self.bind_ellipsis(&ra[i], rest, ops, None)?
                } else {
                    let mut rest = vec![ra[i].clone()];
                    rest.extend_from_slice(a_left);
                    self.bind_ellipsis(&rb[j], rest, ops, None)?
                };
                head.extend(merged);
                head
            }
        };
        head.extend(tail);
        Ok(head)
    }

    /// `xr` has an ellipsis at `i`; `yr` has none. `swapped` says `x` is the
    /// right operand.
    #[allow(clippy::too_many_arguments)]
    fn absorb(
        &mut self,
        xr: &[Dim],
        i: usize,
        yr: &[Dim],
        mode: DimMode,
        ops: Ops<'_>,
        swapped: bool,
        a: &[Dim],
        b: &[Dim],
    ) -> Result<Vec<Dim>, UnifyError> {
        let (pre, e, post) = (&xr[..i], &xr[i], &xr[i + 1..]);
        // A strict pattern (the left operand) needs at least its written dims.
        let pattern_short = mode == DimMode::Strict && !swapped;
        // Broadcasting against a side with no dimensions left for the
        // ellipsis: it stays, unknown (`Dims... * T ⊔ T = Dims... * T`).
        let ran_out = yr.len() < pre.len() || (mode == DimMode::Broadcast && yr.len() == pre.len());
        if !post.is_empty() || ran_out {
            if pattern_short && (!post.is_empty() || yr.len() < pre.len()) {
                return Err(self.rank_error(a, b, ops));
            }
            if !post.is_empty() {
                return Ok(xr.to_vec());
            }
            self.nested += 1;
            let head = self.dims(pre, yr, DimMode::Broadcast, ops);
            self.nested -= 1;
            let mut head = head?;
            if mode == DimMode::Broadcast {
                head.push(e.clone());
            } else {
                head.extend(self.bind_ellipsis(e, Vec::new(), ops, None)?);
            }
            return Ok(head);
        }
        let mut head = Vec::with_capacity(yr.len());
        for (k, (xd, yd)) in pre.iter().zip(yr).enumerate() {
            let d = if swapped {
                self.dim(yd, xd, mode, (k, k), ops)?
            } else {
                self.dim(xd, yd, mode, (k, k), ops)?
            };
            head.push(d);
        }
        let start = (!swapped).then_some(pre.len());
        head.extend(self.bind_ellipsis(e, yr[pre.len()..].to_vec(), ops, start)?);
        Ok(head)
    }

    /// Binds ellipsis `e` to `dims`, which start at axis `start` of operand
    /// `ops.b` when known. A second binding broadcasts with the first.
    fn bind_ellipsis(
        &mut self,
        e: &Dim,
        dims: Vec<Dim>,
        ops: Ops<'_>,
        start: Option<usize>,
    ) -> Result<Vec<Dim>, UnifyError> {
        let Dim::Ellipsis(Some(name)) = e else {
            return Ok(dims);
        };
        if dims.len() == 1 && dims[0] == *e {
            return Ok(dims);
        }
        let key = format!("e:{name}");
        let merged = match self.ellipses.get(name).cloned() {
            Some(old) => match (self.origins.get(&key).copied(), start) {
                // Both places known: report positions in the two operands.
                (Some((op, Some(old_start))), Some(new_start)) if self.nested == 0 => {
                    let label = format!("argument {}", op + 1);
                    let merge = Ops {
                        a: op,
                        b: ops.b,
                        a_label: &label,
                        b_label: ops.b_label,
                        a_off: old_start,
                        b_off: new_start + ops.b_off,
                    };
                    self.dims(&old, &dims, DimMode::Broadcast, merge)?
                }
                _ => {
                    self.nested += 1;
                    let r = self.dims(&old, &dims, DimMode::Broadcast, ops);
                    self.nested -= 1;
                    r?
                }
            },
            None => {
                if ops.b != usize::MAX && self.nested == 0 {
                    self.origins
                        .insert(key, (ops.b, start.map(|s| s + ops.b_off)));
                }
                dims
            }
        };
        if !merged.contains(e) {
            self.ellipses.insert(name.clone(), merged.clone());
        }
        Ok(merged)
    }

    fn dim(
        &mut self,
        a: &Dim,
        b: &Dim,
        mode: DimMode,
        at: (usize, usize),
        ops: Ops<'_>,
    ) -> Result<Dim, UnifyError> {
        let (ra, va) = self.resolve_dim(a);
        let (rb, vb) = self.resolve_dim(b);
        if mode == DimMode::Broadcast {
            // A 1 yields to anything, and never binds a variable.
            if ra == Dim::Fixed(1) {
                return Ok(rb);
            }
            if rb == Dim::Fixed(1) {
                return Ok(ra);
            }
        }
        let here_a = (self.nested == 0).then_some(at.0 + ops.a_off);
        let here_b = (self.nested == 0).then_some(at.1 + ops.b_off);
        match (&ra, &rb) {
            (Dim::TypeVar(x), Dim::TypeVar(y)) if x == y => return Ok(ra),
            (Dim::TypeVar(x), Dim::TypeVar(y)) => {
                // Bind signature variables first, then the later name, so
                // the result does not depend on the order of the operands.
                let x_first = (is_sig(x), x.as_str()) > (is_sig(y), y.as_str());
                return Ok(if x_first {
                    self.bind_dim(x, rb.clone(), ops.b, here_b);
                    rb
                } else {
                    self.bind_dim(y, ra.clone(), ops.a, here_a);
                    ra
                });
            }
            (Dim::TypeVar(x), _) => {
                self.bind_dim(x, rb.clone(), ops.b, here_b);
                return Ok(rb);
            }
            (_, Dim::TypeVar(y)) => {
                self.bind_dim(y, ra.clone(), ops.a, here_a);
                return Ok(ra);
            }
            _ => {}
        }
        let r = match (&ra, &rb) {
            (Dim::Fixed(x), Dim::Fixed(y)) if x == y => ra.clone(),
            (Dim::Var(p), Dim::Var(q)) => Dim::Var(match (p, q) {
                (Some(p), Some(q)) => Some(*p.max(q)),
                _ => None,
            }),
            (Dim::Var(_), Dim::Fixed(_)) => rb.clone(),
            (Dim::Fixed(_), Dim::Var(_)) => ra.clone(),
            _ => {
                let side_a = self.side(&va, "d", ops.a, ops.a_label, here_a);
                let side_b = self.side(&vb, "d", ops.b, ops.b_label, here_b);
                let var = [&va, &vb]
                    .into_iter()
                    .flatten()
                    .find(|v| is_sig(v))
                    .map(|v| format!(" for `{}`", unrename_name(v)))
                    .unwrap_or_default();
                let verb = if mode == DimMode::Broadcast {
                    format!("cannot broadcast{var}")
                } else {
                    format!("mismatched dimensions{var}:")
                };
                return Err(UnifyError {
                    kind: ErrorKind::DimMismatch,
                    message: format!(
                        "{verb} dimension {ra}{} with dimension {rb}{}",
                        side_a.phrase, side_b.phrase
                    ),
                    locations: [side_a.location, side_b.location]
                        .into_iter()
                        .flatten()
                        .collect(),
                });
            }
        };
        // A variable bound to a concrete dimension takes the combined one.
        for v in [va, vb].into_iter().flatten() {
            self.dims.insert(v, r.clone());
        }
        Ok(r)
    }

    fn bind_dim(&mut self, var: &str, to: Dim, operand: usize, axis: Option<usize>) {
        if is_sig(var) && operand != usize::MAX {
            self.origins.insert(format!("d:{var}"), (operand, axis));
        }
        self.dims.insert(var.to_string(), to);
    }

    /// How to name one side of a conflict: the argument a signature
    /// variable took its value from, or the operand itself.
    fn side(
        &self,
        var: &Option<String>,
        space: &str,
        operand: usize,
        label: &str,
        axis: Option<usize>,
    ) -> Side {
        let origin = var
            .as_ref()
            .filter(|v| is_sig(v))
            .and_then(|v| self.origins.get(&format!("{space}:{v}")).copied());
        let (operand, label, axis) = match origin {
            Some((op, ax)) => (op, format!("argument {}", op + 1), ax),
            None => (operand, label.to_string(), axis),
        };
        let phrase = match (axis, space) {
            (Some(ax), "d") => format!(" (axis {ax} of {label})"),
            _ => format!(" of {label}"),
        };
        let location = (operand != usize::MAX).then_some(Location {
            operand,
            site: match (axis, space) {
                (Some(ax), "d") => Site::Dim(ax),
                _ => Site::Measure,
            },
        });
        Side {
            label,
            phrase,
            location,
        }
    }

    fn rank_error(&self, a: &[Dim], b: &[Dim], ops: Ops<'_>) -> UnifyError {
        let show = |d: &[Dim]| -> String {
            if d.is_empty() {
                "no dimensions".to_string()
            } else {
                let dims: Vec<String> = d
                    .iter()
                    .map(|x| match x {
                        Dim::TypeVar(n) => unrename_name(n).to_string(),
                        Dim::Ellipsis(Some(n)) => format!("{}...", unrename_name(n)),
                        other => other.to_string(),
                    })
                    .collect();
                format!("dimensions `{}` ({})", dims.join(" * "), d.len())
            }
        };
        UnifyError {
            kind: ErrorKind::RankMismatch,
            message: format!(
                "{} has {}, {} has {}; they need the same number",
                ops.a_label,
                show(a),
                ops.b_label,
                show(b),
            ),
            locations: self.measure_locations(ops),
        }
    }

    /// Follows variable bindings; returns the final dimension and the last
    /// variable on the way (the one to rebind).
    fn resolve_dim(&self, d: &Dim) -> (Dim, Option<String>) {
        let mut cur = d.clone();
        let mut var = None;
        let mut steps = 0;
        while let Dim::TypeVar(name) = &cur {
            match self.dims.get(name) {
                Some(next) if steps < 10_000 => {
                    var = Some(name.clone());
                    cur = next.clone();
                    steps += 1;
                }
                _ => return (cur.clone(), Some(name.clone())),
            }
        }
        (cur, var)
    }

    fn resolve_measure(&self, m: &Measure) -> (Measure, Option<String>) {
        let mut cur = m.clone();
        let mut var = None;
        let mut steps = 0;
        while let Measure::TypeVar { name } = &cur {
            match self.measures.get(name) {
                Some(next) if steps < 10_000 => {
                    var = Some(name.clone());
                    cur = next.clone();
                    steps += 1;
                }
                _ => return (cur.clone(), Some(name.clone())),
            }
        }
        (cur, var)
    }

    // ------------------------------------------------------------ measures

    fn measure(
        &mut self,
        a: &Measure,
        b: &Measure,
        mode: MeasureMode,
        ops: Ops<'_>,
    ) -> Result<Measure, UnifyError> {
        let (ra, va) = self.resolve_measure(a);
        let (rb, vb) = self.resolve_measure(b);
        match (&ra, &rb) {
            (Measure::TypeVar { name: x }, Measure::TypeVar { name: y }) if x == y => {
                return Ok(ra)
            }
            (Measure::TypeVar { name: x }, Measure::TypeVar { name: y }) => {
                // As for dimensions: the result must not depend on the order.
                return if (is_sig(x), x.as_str()) > (is_sig(y), y.as_str()) {
                    self.bind_measure(x, rb, ops, ops.b)
                } else {
                    self.bind_measure(y, ra, ops, ops.a)
                };
            }
            (Measure::TypeVar { name: x }, _) => return self.bind_measure(x, rb, ops, ops.b),
            (_, Measure::TypeVar { name: y }) => return self.bind_measure(y, ra, ops, ops.a),
            _ => {}
        }
        let side_a = self.side(&va, "m", ops.a, ops.a_label, None);
        let named = Ops {
            a: side_a.location.map_or(ops.a, |l| l.operand),
            a_label: &side_a.label,
            ..ops
        };
        let r = self.combine(&ra, &rb, mode, named)?;
        for v in [va, vb].into_iter().flatten() {
            self.measures.insert(v, r.clone());
        }
        Ok(r)
    }

    fn bind_measure(
        &mut self,
        name: &str,
        m: Measure,
        ops: Ops<'_>,
        from: usize,
    ) -> Result<Measure, UnifyError> {
        let applied = self.apply_measure(&m);
        if occurs(name, &applied) {
            return Err(UnifyError {
                kind: ErrorKind::TypeMismatch,
                message: format!(
                    "type variable `{}` cannot stand for `{applied}`, which contains it",
                    unrename_name(name)
                ),
                locations: self.measure_locations(ops),
            });
        }
        if is_sig(name) && from != usize::MAX && self.nested == 0 {
            self.origins.insert(format!("m:{name}"), (from, None));
        }
        self.measures.insert(name.to_string(), m.clone());
        Ok(m)
    }

    fn measure_locations(&self, ops: Ops<'_>) -> Vec<Location> {
        let mut out = Vec::new();
        if ops.a != usize::MAX {
            out.push(Location {
                operand: ops.a,
                site: Site::Measure,
            });
        }
        out.push(Location {
            operand: ops.b,
            site: Site::Measure,
        });
        out
    }

    fn mismatch(&self, a: &Measure, b: &Measure, why: &str, ops: Ops<'_>) -> UnifyError {
        UnifyError {
            kind: ErrorKind::TypeMismatch,
            message: format!(
                "cannot unify the measure `{}` of {} with `{}` of {}{why}",
                unrename_measure(a),
                ops.a_label,
                unrename_measure(b),
                ops.b_label
            ),
            locations: self.measure_locations(ops),
        }
    }

    fn combine(
        &mut self,
        a: &Measure,
        b: &Measure,
        mode: MeasureMode,
        ops: Ops<'_>,
    ) -> Result<Measure, UnifyError> {
        if a == b {
            return Ok(a.clone());
        }
        let exact = mode == MeasureMode::Exact;
        match (a, b) {
            (Measure::Scalar { scalar: x }, Measure::Scalar { scalar: y }) if !exact => {
                Ok(Measure::scalar(promote(*x, *y)))
            }
            (Measure::Option { inner: x }, Measure::Option { inner: y }) => {
                Ok(Measure::option(self.measure(x, y, mode, ops)?))
            }
            (Measure::Option { inner }, Measure::Null)
            | (Measure::Null, Measure::Option { inner })
                if !exact =>
            {
                Ok(Measure::Option {
                    inner: inner.clone(),
                })
            }
            (Measure::Null, other) | (other, Measure::Null) if !exact => {
                Ok(Measure::option(other.clone()))
            }
            (Measure::Option { inner }, other) if !exact => {
                Ok(Measure::option(self.measure(inner, other, mode, ops)?))
            }
            (other, Measure::Option { inner }) if !exact => {
                Ok(Measure::option(self.measure(other, inner, mode, ops)?))
            }
            (Measure::Record { fields: fa }, Measure::Record { fields: fb }) => {
                let names_a: Vec<&String> = fa.iter().map(|(n, _)| n).collect();
                let names_b: Vec<&String> = fb.iter().map(|(n, _)| n).collect();
                if names_a != names_b {
                    return Err(self.mismatch(a, b, ": records unify only when their fields have the same names in the same order", ops));
                }
                let mut fields = Vec::with_capacity(fa.len());
                self.nested += 1;
                for ((n, x), (_, y)) in fa.iter().zip(fb) {
                    let r = self.datashape(x, y, DimMode::Strict, MeasureMode::Exact, ops);
                    match r {
                        Ok(r) => fields.push((n.clone(), r)),
                        Err(_) => {
                            self.nested -= 1;
                            return Err(self.mismatch(a, b, &format!(": field `{n}` differs, and records unify only with an equal type"), ops));
                        }
                    }
                }
                self.nested -= 1;
                Ok(Measure::Record { fields })
            }
            (Measure::Tuple { elems: ea }, Measure::Tuple { elems: eb }) => {
                if ea.len() != eb.len() {
                    return Err(self.mismatch(a, b, ": tuples of different lengths", ops));
                }
                self.nested += 1;
                let r: Result<Vec<_>, _> = ea
                    .iter()
                    .zip(eb)
                    .map(|(x, y)| self.datashape(x, y, DimMode::Strict, MeasureMode::Exact, ops))
                    .collect();
                self.nested -= 1;
                r.map(|elems| Measure::Tuple { elems })
                    .map_err(|_| self.mismatch(a, b, ": tuples unify only with an equal type", ops))
            }
            (
                Measure::Function {
                    params: pa,
                    ret: xa,
                },
                Measure::Function {
                    params: pb,
                    ret: xb,
                },
            ) => {
                if pa.len() != pb.len() {
                    return Err(self.mismatch(
                        a,
                        b,
                        ": functions with different numbers of parameters",
                        ops,
                    ));
                }
                self.nested += 1;
                let r: Result<Vec<_>, _> = pa
                    .iter()
                    .zip(pb)
                    .map(|(x, y)| self.datashape(x, y, DimMode::Strict, MeasureMode::Exact, ops))
                    .collect();
                let ret = self.datashape(xa, xb, DimMode::Strict, MeasureMode::Exact, ops);
                self.nested -= 1;
                match (r, ret) {
                    (Ok(params), Ok(ret)) => Ok(Measure::Function {
                        params,
                        ret: Box::new(ret),
                    }),
                    _ => Err(self.mismatch(
                        a,
                        b,
                        ": function types unify only with an equal type",
                        ops,
                    )),
                }
            }
            _ => {
                let why = if exact {
                    ": inside records, tuples and functions types must be equal"
                } else {
                    match (a, b) {
                        (Measure::Scalar { .. }, Measure::Scalar { .. }) => "",
                        (Measure::Scalar { .. }, _) | (_, Measure::Scalar { .. }) => ": a number unifies only with numbers",
                        _ => ": records, strings, dates and other non-numeric measures unify only with an equal type",
                    }
                };
                Err(self.mismatch(a, b, why, ops))
            }
        }
    }
}

fn is_ellipsis(d: &Dim) -> bool {
    matches!(d, Dim::Ellipsis(_))
}

fn occurs(name: &str, m: &Measure) -> bool {
    let in_ds = |ds: &Datashape| occurs(name, &ds.measure);
    match m {
        Measure::TypeVar { name: n } => n == name,
        Measure::Option { inner } => occurs(name, inner),
        Measure::Record { fields } => fields.iter().any(|(_, f)| in_ds(f)),
        Measure::Tuple { elems } => elems.iter().any(in_ds),
        Measure::Function { params, ret } => params.iter().any(in_ds) || in_ds(ret),
        _ => false,
    }
}

/// Renames every variable of a signature apart from the arguments'.
fn rename(ds: &Datashape) -> Datashape {
    map_names(ds, &|n: &str| format!("{SIG}{n}"))
}

fn unrename(ds: &Datashape) -> Datashape {
    map_names(ds, &|n: &str| unrename_name(n).to_string())
}

fn unrename_name(n: &str) -> &str {
    n.strip_prefix(SIG).unwrap_or(n)
}

fn unrename_measure(m: &Measure) -> Measure {
    map_measure_names(m, &|n: &str| unrename_name(n).to_string())
}

fn map_names(ds: &Datashape, f: &dyn Fn(&str) -> String) -> Datashape {
    let dims = ds
        .dims
        .iter()
        .map(|d| match d {
            Dim::TypeVar(n) => Dim::TypeVar(f(n)),
            Dim::Ellipsis(Some(n)) => Dim::Ellipsis(Some(f(n))),
            other => other.clone(),
        })
        .collect();
    Datashape::new(dims, map_measure_names(&ds.measure, f))
}

fn map_measure_names(m: &Measure, f: &dyn Fn(&str) -> String) -> Measure {
    match m {
        Measure::TypeVar { name } => Measure::TypeVar { name: f(name) },
        Measure::Option { inner } => Measure::option(map_measure_names(inner, f)),
        Measure::Record { fields } => Measure::Record {
            fields: fields
                .iter()
                .map(|(n, x)| (n.clone(), map_names(x, f)))
                .collect(),
        },
        Measure::Tuple { elems } => Measure::Tuple {
            elems: elems.iter().map(|e| map_names(e, f)).collect(),
        },
        Measure::Function { params, ret } => Measure::Function {
            params: params.iter().map(|p| map_names(p, f)).collect(),
            ret: Box::new(map_names(ret, f)),
        },
        other => other.clone(),
    }
}
