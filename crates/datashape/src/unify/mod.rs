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
//!
//! This module has the entry points, the errors and the `Unifier`'s
//! bindings; `dims` unifies dimensions, `measure` measures.

use crate::env::TypeEnv;
use crate::error::ErrorKind;
use crate::types::{Datashape, Dim, Measure, Scalar, ScalarKind};
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;

mod dims;
mod measure;

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
        crate::grow(|| match m {
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
        })
    }
}

fn is_ellipsis(d: &Dim) -> bool {
    matches!(d, Dim::Ellipsis(_))
}

fn occurs(name: &str, m: &Measure) -> bool {
    crate::grow(|| {
        let in_ds = |ds: &Datashape| occurs(name, &ds.measure);
        match m {
            Measure::TypeVar { name: n } => n == name,
            Measure::Option { inner } => occurs(name, inner),
            Measure::Record { fields } => fields.iter().any(|(_, f)| in_ds(f)),
            Measure::Tuple { elems } => elems.iter().any(in_ds),
            Measure::Function { params, ret } => params.iter().any(in_ds) || in_ds(ret),
            _ => false,
        }
    })
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
    crate::grow(|| match m {
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
    })
}

/// Follows the bindings of type variables from `start` (`var_of` names the
/// variable a value is, if it is one): the value at the end of the chain
/// and the last variable on the way (the one to rebind). Chains longer
/// than 10,000 steps (a cycle) stop there.
fn resolve<T: Clone>(
    start: &T,
    bound: &HashMap<String, T>,
    var_of: impl Fn(&T) -> Option<&String>,
) -> (T, Option<String>) {
    let mut cur = start.clone();
    let mut var = None;
    let mut steps = 0;
    while let Some(name) = var_of(&cur) {
        match bound.get(name) {
            Some(next) if steps < 10_000 => {
                var = Some(name.clone());
                cur = next.clone();
                steps += 1;
            }
            _ => {
                let name = name.clone();
                return (cur, Some(name));
            }
        }
    }
    (cur, var)
}
