//! Type definitions (LANGUAGE.md 1.4): the environment of names a datashape
//! may refer to, and substitution of a definition's arguments.

use crate::types::{Datashape, Dim, Measure, TypeArg};
use std::collections::HashMap;
use std::fmt;

/// A type definition such as `type SquareMatrix A = N * N * A`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeDef {
    /// The defined name.
    pub name: String,
    /// Parameter names, in order.
    pub params: Vec<String>,
    /// The body, with parameters as type variables.
    pub body: Datashape,
    /// How each parameter is used in the (expanded) body.
    pub(crate) uses: Vec<ParamUse>,
    /// Whether the expanded body has dimensions (so it cannot stand under `?`).
    pub(crate) has_dims: bool,
    /// Whether the expanded body has an ellipsis.
    pub(crate) has_ellipsis: bool,
}

/// Where a parameter appears in a definition's body.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ParamUse {
    pub dim: bool,
    pub measure: bool,
    pub under_option: bool,
}

impl TypeDef {
    pub(crate) fn new(name: String, params: Vec<String>, body: Datashape, env: &TypeEnv) -> Self {
        let expanded = env.expand(&body);
        let mut uses = vec![ParamUse::default(); params.len()];
        scan_uses(&expanded, &params, &mut uses, false);
        TypeDef {
            name,
            params,
            has_dims: !expanded.dims.is_empty(),
            has_ellipsis: expanded.dims.iter().any(|d| matches!(d, Dim::Ellipsis(_))),
            body,
            uses,
        }
    }
}

impl fmt::Display for TypeDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "type {}", self.name)?;
        for p in &self.params {
            write!(f, " {p}")?;
        }
        write!(f, " = {}", self.body)
    }
}

fn scan_uses(ds: &Datashape, params: &[String], uses: &mut [ParamUse], under_option: bool) {
    for dim in &ds.dims {
        if let Dim::TypeVar(name) = dim {
            if let Some(i) = params.iter().position(|p| p == name) {
                uses[i].dim = true;
            }
        }
    }
    scan_measure(&ds.measure, params, uses, under_option);
}

fn scan_measure(m: &Measure, params: &[String], uses: &mut [ParamUse], under_option: bool) {
    crate::grow(|| match m {
        Measure::TypeVar { name } => {
            if let Some(i) = params.iter().position(|p| p == name) {
                uses[i].measure = true;
                uses[i].under_option |= under_option;
            }
        }
        Measure::Option { inner } => scan_measure(inner, params, uses, true),
        Measure::Record { fields } => {
            for (_, ds) in fields {
                scan_uses(ds, params, uses, false);
            }
        }
        Measure::Tuple { elems } => {
            for ds in elems {
                scan_uses(ds, params, uses, false);
            }
        }
        Measure::Function { params: ps, ret } => {
            for ds in ps {
                scan_uses(ds, params, uses, false);
            }
            scan_uses(ret, params, uses, false);
        }
        _ => {}
    })
}

/// The type definitions in scope: what names like `RGBA` or `SquareMatrix`
/// mean. Builtin measures are not stored here.
///
/// ```
/// use blaze_datashape::{parse_module, TypeEnv};
/// let mut env = TypeEnv::new();
/// let module = parse_module("type Quaternion = 4 * float64\n10 * 10 * Quaternion", &mut env).unwrap();
/// let ds = module.datashape.unwrap().datashape;
/// assert_eq!(ds.to_string(), "10 * 10 * Quaternion");
/// assert_eq!(env.expand(&ds).to_string(), "10 * 10 * 4 * float64");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TypeEnv {
    defs: Vec<TypeDef>,
    index: HashMap<String, usize>,
}

impl TypeEnv {
    /// An environment without definitions.
    pub fn new() -> Self {
        TypeEnv::default()
    }

    /// The definition of `name`, if any.
    pub fn get(&self, name: &str) -> Option<&TypeDef> {
        self.index.get(name).map(|&i| &self.defs[i])
    }

    /// All definitions, in the order they were added.
    pub fn defs(&self) -> impl Iterator<Item = &TypeDef> {
        self.defs.iter()
    }

    /// Number of definitions.
    pub fn len(&self) -> usize {
        self.defs.len()
    }

    /// Whether there are no definitions.
    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    pub(crate) fn insert(&mut self, def: TypeDef) {
        self.index.insert(def.name.clone(), self.defs.len());
        self.defs.push(def);
    }

    /// `ds` with every applied definition replaced by its body, arguments
    /// substituted, recursively. A definition whose body has dimensions adds
    /// them after the dimensions written before its name
    /// (`10 * Quaternion` is `10 * 4 * float64`).
    pub fn expand(&self, ds: &Datashape) -> Datashape {
        let inner = self.expand_measure(&ds.measure);
        let mut dims: Vec<Dim> = ds.dims.clone();
        dims.extend(inner.dims);
        Datashape::new(dims, inner.measure)
    }

    /// The expansion of a measure: a datashape, since a definition's body may
    /// have dimensions.
    pub fn expand_measure(&self, m: &Measure) -> Datashape {
        crate::grow(|| {
            let ds = |m: Measure| Datashape::scalar(m);
            match m {
                Measure::Named { name, args } => match self.get(name) {
                    Some(def) if def.params.len() == args.len() => {
                        let subst: HashMap<&str, &TypeArg> = def
                            .params
                            .iter()
                            .map(String::as_str)
                            .zip(args.iter())
                            .collect();
                        self.expand(&substitute(&def.body, &subst))
                    }
                    // Unknown here (another environment's name): leave it be.
                    _ => ds(m.clone()),
                },
                Measure::Option { inner } => {
                    let e = self.expand_measure(inner);
                    if e.dims.is_empty() {
                        ds(Measure::option(e.measure))
                    } else {
                        // Rejected when parsed; kept unexpanded if built by hand.
                        ds(m.clone())
                    }
                }
                Measure::Record { fields } => ds(Measure::Record {
                    fields: fields
                        .iter()
                        .map(|(n, f)| (n.clone(), self.expand(f)))
                        .collect(),
                }),
                Measure::Tuple { elems } => ds(Measure::Tuple {
                    elems: elems.iter().map(|e| self.expand(e)).collect(),
                }),
                Measure::Function { params, ret } => ds(Measure::Function {
                    params: params.iter().map(|p| self.expand(p)).collect(),
                    ret: Box::new(self.expand(ret)),
                }),
                other => ds(other.clone()),
            }
        })
    }
}

/// `body` with parameters replaced by arguments.
fn substitute(body: &Datashape, subst: &HashMap<&str, &TypeArg>) -> Datashape {
    let dims = body
        .dims
        .iter()
        .map(|d| match d {
            Dim::TypeVar(name) => match subst.get(name.as_str()) {
                Some(TypeArg::Dim(dim)) => dim.clone(),
                Some(TypeArg::Measure(Measure::TypeVar { name })) => Dim::TypeVar(name.clone()),
                _ => d.clone(),
            },
            _ => d.clone(),
        })
        .collect();
    let measure = substitute_measure(&body.measure, subst);
    // A measure argument with dimensions of its own (`Quaternion` for `A`)
    // is spliced by `expand`, which runs on the result.
    Datashape::new(dims, measure)
}

fn substitute_measure(m: &Measure, subst: &HashMap<&str, &TypeArg>) -> Measure {
    crate::grow(|| match m {
        Measure::TypeVar { name } => match subst.get(name.as_str()) {
            Some(TypeArg::Measure(measure)) => measure.clone(),
            Some(TypeArg::Dim(Dim::TypeVar(name))) => Measure::var(name),
            _ => m.clone(),
        },
        Measure::Option { inner } => Measure::option(substitute_measure(inner, subst)),
        Measure::Record { fields } => Measure::Record {
            fields: fields
                .iter()
                .map(|(n, f)| (n.clone(), substitute(f, subst)))
                .collect(),
        },
        Measure::Tuple { elems } => Measure::Tuple {
            elems: elems.iter().map(|e| substitute(e, subst)).collect(),
        },
        Measure::Function { params, ret } => Measure::Function {
            params: params.iter().map(|p| substitute(p, subst)).collect(),
            ret: Box::new(substitute(ret, subst)),
        },
        Measure::Named { name, args } => Measure::Named {
            name: name.clone(),
            args: args
                .iter()
                .map(|a| match a {
                    TypeArg::Dim(Dim::TypeVar(n)) => match subst.get(n.as_str()) {
                        Some(&arg) => arg.clone(),
                        None => a.clone(),
                    },
                    TypeArg::Measure(m) => TypeArg::Measure(substitute_measure(m, subst)),
                    other => other.clone(),
                })
                .collect(),
        },
        other => other.clone(),
    })
}
