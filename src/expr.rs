//! The expression builder: array programs made of Rust values instead of
//! DSL text. An [`Expr`] is an input (a named parameter with a datashape,
//! or an array it holds), a constant, or an operation on expressions —
//! `std::ops` operators, NumPy-named functions ([`sin`](crate::sin),
//! [`sum`](crate::sum), [`linalg::eig`](crate::linalg::eig)) and methods.
//!
//! Every node is typed as it is made, by the same type checker as the DSL:
//! the builder keeps the expression as a small graph, prints it as DSL text
//! (a node used twice becomes a `let`, so shared work stays shared) and
//! checks that text against the inputs' datashapes. The typed IR is the
//! one [`compile_expr`](crate::compile_expr) makes of the same text, so
//! there is no second path to it. An operation whose operands do not fit
//! gives an `Expr` holding the error, with a caret under that operation;
//! [`Expr::dshape`], [`Expr::eval`] and [`Expr::compile`] return it, and
//! everything built on it keeps it.
//!
//! ```
//! use blaze::ndarray::array;
//! use blaze::Expr;
//! let a = Expr::array("a", array![[1.0, 2.0], [3.0, 4.0]]);
//! let b = Expr::array("b", array![10.0, 20.0]);
//! let x = &a * 2.0 + &b;
//! assert_eq!(x.dshape().unwrap().to_string(), "2 * 2 * float64");
//! let total = blaze::sum(&x, 1);
//! let v = blaze::output::<f64>(total.eval().unwrap()).unwrap();
//! assert_eq!(v, array![36.0, 44.0].into_dyn());
//!
//! // A type error is found where the bad node is made.
//! let c = Expr::array("c", array![1.0, 2.0, 3.0]);
//! let bad = &b + &c;
//! assert!(bad.dshape().unwrap_err().to_string().contains("cannot broadcast"));
//! ```

mod functions;
mod ops;

pub use functions::*;

use crate::api::{compile_expr_typed, Error, Kernel};
use crate::datashape::{Datashape, Dim, Measure};
use crate::interp::{Element, Value};
use crate::runtime::exec::Arg;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

/// A lazy, typed array expression (see the module documentation).
#[derive(Clone, Debug)]
pub struct Expr {
    node: Arc<Node>,
    ty: Result<Datashape, Error>,
}

#[derive(Debug)]
enum Node {
    /// A named input, with the array it stands for when it has one.
    Input {
        name: String,
        ty: Datashape,
        value: Option<Value>,
    },
    /// A literal, as DSL text.
    Const(String),
    /// `f(args…, extra…, key=value…)`, `extra` as DSL text (a type).
    Call {
        f: String,
        args: Vec<Expr>,
        extra: Vec<String>,
        keywords: Vec<(&'static str, String)>,
    },
    /// `(a op b)`.
    Binary { op: &'static str, a: Expr, b: Expr },
    /// `(op a)`.
    Unary { op: &'static str, a: Expr },
    /// `a.name` (a record field, `T`).
    Attr { a: Expr, name: String },
    /// `a[subscripts]`, the subscripts as DSL text.
    Index { a: Expr, subscripts: String },
    /// DSL text over names bound to expressions:
    /// `(let n1 = a1 in … (text))`.
    Text {
        text: String,
        names: Vec<String>,
        args: Vec<Expr>,
    },
}

/// Axes of a reduction: all of them, one, or several.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Axes {
    /// Every axis (NumPy's `axis=None`).
    All,
    /// These axes (negative counts from the end).
    These(Vec<i64>),
}

impl From<i64> for Axes {
    fn from(a: i64) -> Axes {
        Axes::These(vec![a])
    }
}

impl From<i32> for Axes {
    fn from(a: i32) -> Axes {
        Axes::These(vec![a.into()])
    }
}

impl From<usize> for Axes {
    fn from(a: usize) -> Axes {
        Axes::These(vec![i64::try_from(a).unwrap_or(i64::MAX)])
    }
}

impl<const N: usize> From<[i64; N]> for Axes {
    fn from(a: [i64; N]) -> Axes {
        Axes::These(a.to_vec())
    }
}

impl From<Vec<i64>> for Axes {
    fn from(a: Vec<i64>) -> Axes {
        Axes::These(a)
    }
}

impl From<Option<i64>> for Axes {
    fn from(a: Option<i64>) -> Axes {
        a.map_or(Axes::All, Axes::from)
    }
}

impl Expr {
    /// A named input of datashape `dshape` (`"N * float64"`), given its
    /// value when the expression is evaluated ([`eval_with`](Expr::eval_with))
    /// or called ([`compile`](Expr::compile)).
    pub fn param(name: &str, dshape: &str) -> Expr {
        match crate::datashape::parse(dshape) {
            Ok(ty) => Expr::input(name, ty, None),
            Err(e) => Expr::failed(Error::Datashape(format!(
                "input `{name}`: {}",
                e.render(dshape, name)
            ))),
        }
    }

    /// A named input holding `a` (moved, not copied), typed by its shape
    /// and element type.
    pub fn array<T: Element, D: ndarray::Dimension>(name: &str, a: ndarray::Array<T, D>) -> Expr {
        let dims = a.shape().iter().map(|&n| Dim::Fixed(n as u64)).collect();
        let ty = Datashape::new(dims, Measure::scalar(T::SCALAR));
        Expr::input(name, ty, Some(Value::from(T::wrap(a.into_dyn()))))
    }

    /// A named input holding `value` (an array, a record or a column),
    /// of datashape `dshape`.
    pub fn value(name: &str, dshape: &str, value: Value) -> Expr {
        let e = Expr::param(name, dshape);
        match e.ty {
            Ok(ty) => Expr::input(name, ty, Some(value)),
            Err(_) => e,
        }
    }

    fn input(name: &str, ty: Datashape, value: Option<Value>) -> Expr {
        let valid = !name.is_empty()
            && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && !name.starts_with("_e");
        let node = Arc::new(Node::Input {
            name: name.to_string(),
            ty: ty.clone(),
            value,
        });
        if !valid {
            return Expr {
                node,
                ty: Err(Error::Datashape(format!(
                    "`{name}` is not a name for an input: letters, digits and `_`, not starting with a digit or `_e`"
                ))),
            };
        }
        Expr { node, ty: Ok(ty) }
    }

    /// A constant (`Expr::from(2.0)`, `Expr::from(3)`, `Expr::from(true)`
    /// do the same).
    pub fn constant(v: impl Into<Expr>) -> Expr {
        v.into()
    }

    /// A node that is only its error (bad text or names given to a
    /// constructor).
    fn failed(error: Error) -> Expr {
        Expr {
            node: Arc::new(Node::Const(String::new())),
            ty: Err(error),
        }
    }

    fn made(node: Node) -> Expr {
        let mut e = Expr {
            node: Arc::new(node),
            ty: Ok(Datashape::scalar(Measure::Null)),
        };
        // The first error below this node is the error of this node.
        if let Some(err) = e.children().iter().find_map(|c| c.ty.as_ref().err()) {
            e.ty = Err(err.clone());
            return e;
        }
        e.ty = e.check().map(|f| f.result_type().clone());
        e
    }

    fn children(&self) -> Vec<&Expr> {
        match self.node.as_ref() {
            Node::Input { .. } | Node::Const(_) => Vec::new(),
            Node::Call { args, .. } => args.iter().collect(),
            Node::Binary { a, b, .. } => vec![a, b],
            Node::Unary { a, .. } | Node::Attr { a, .. } | Node::Index { a, .. } => vec![a],
            Node::Text { args, .. } => args.iter().collect(),
        }
    }

    /// A DSL expression (`"2*a + sin(b)"`) over names bound to
    /// expressions: the text is checked like any node, so a mistake in it
    /// is this node's error, with the caret in the text.
    ///
    /// ```
    /// use blaze::{ndarray::array, Expr};
    /// let a = Expr::array("a", array![1.0, 2.0]);
    /// let y = Expr::parse("2*x + 1", &[("x", &a)]);
    /// assert_eq!(blaze::output::<f64>(y.eval().unwrap()).unwrap(), array![3.0, 5.0].into_dyn());
    /// ```
    pub fn parse(text: &str, args: &[(&str, &Expr)]) -> Expr {
        if let Err(diagnostic) = crate::syntax::parse_expression(text) {
            return Expr::failed(Error::Compile {
                diagnostic,
                source: text.to_string(),
            });
        }
        Expr::made(Node::Text {
            text: text.to_string(),
            names: args.iter().map(|(n, _)| n.to_string()).collect(),
            args: args.iter().map(|(_, e)| (*e).clone()).collect(),
        })
    }

    /// The datashape of the expression, or the error of the first
    /// operation that does not type-check.
    pub fn dshape(&self) -> Result<&Datashape, Error> {
        self.ty.as_ref().map_err(Clone::clone)
    }

    /// The expression as DSL text (what is type-checked and compiled).
    pub fn source(&self) -> String {
        self.render().0
    }

    /// The names of the inputs, in the order [`compile`](Expr::compile)'s
    /// kernel takes them.
    pub fn inputs(&self) -> Vec<String> {
        self.render().1.iter().map(|i| i.0.clone()).collect()
    }

    /// The text, and the inputs in order of first use (name, type, value).
    #[allow(clippy::type_complexity)]
    fn render(&self) -> (String, Vec<(String, Datashape, Option<&Value>)>) {
        // Uses of every node, by identity: a node used twice is bound once.
        let mut uses: HashMap<*const Node, usize> = HashMap::new();
        let mut order: Vec<&Expr> = Vec::new();
        fn visit<'a>(
            e: &'a Expr,
            uses: &mut HashMap<*const Node, usize>,
            order: &mut Vec<&'a Expr>,
        ) {
            let n = uses.entry(Arc::as_ptr(&e.node)).or_insert(0);
            *n += 1;
            if *n > 1 {
                return;
            }
            for c in e.children() {
                visit(c, uses, order);
            }
            order.push(e);
        }
        visit(self, &mut uses, &mut order);
        let mut inputs: Vec<(String, Datashape, Option<&Value>)> = Vec::new();
        let mut names: HashMap<*const Node, String> = HashMap::new();
        let mut lets = String::new();
        let mut bound = 0;
        for e in &order {
            let key = Arc::as_ptr(&e.node);
            if let Node::Input { name, ty, value } = e.node.as_ref() {
                inputs.push((name.clone(), ty.clone(), value.as_ref()));
                names.insert(key, name.clone());
                continue;
            }
            let shared = uses.get(&key).copied().unwrap_or(0) > 1;
            if shared && !matches!(e.node.as_ref(), Node::Const(_)) && !std::ptr::eq(*e, self) {
                let name = format!("_e{bound}");
                bound += 1;
                let _ = write!(lets, "let {name} = {} in ", e.text(&names));
                names.insert(key, name);
            }
        }
        (format!("{lets}{}", self.text(&names)), inputs)
    }

    /// This node's text, its operands by name where they are bound.
    fn text(&self, names: &HashMap<*const Node, String>) -> String {
        if let Some(n) = names.get(&Arc::as_ptr(&self.node)) {
            return n.clone();
        }
        let t = |e: &Expr| e.text(names);
        match self.node.as_ref() {
            Node::Input { name, .. } => name.clone(),
            Node::Const(c) => c.clone(),
            Node::Call {
                f,
                args,
                extra,
                keywords,
            } => {
                let mut parts: Vec<String> = args.iter().map(t).collect();
                parts.extend(extra.iter().cloned());
                parts.extend(keywords.iter().map(|(k, v)| format!("{k}={v}")));
                format!("{f}({})", parts.join(", "))
            }
            Node::Binary { op, a, b } => format!("({} {op} {})", t(a), t(b)),
            Node::Unary { op, a } => format!("({op}{})", t(a)),
            Node::Attr { a, name } => format!("{}.{name}", t(a)),
            Node::Index { a, subscripts } => format!("{}[{subscripts}]", t(a)),
            Node::Text { text, names, args } => {
                let lets: String = names
                    .iter()
                    .zip(args)
                    .map(|(n, a)| format!("let {n} = {} in ", t(a)))
                    .collect();
                format!("({lets}({text}))")
            }
        }
    }

    /// The inputs' types, with two different inputs of one name refused.
    fn types(&self) -> Result<(String, Vec<(String, Datashape)>), Error> {
        let (src, inputs) = self.render();
        let mut types: Vec<(String, Datashape)> = Vec::new();
        for (name, ty, _) in inputs {
            if types.iter().any(|(n, _)| *n == name) {
                return Err(Error::Datashape(format!(
                    "two different inputs are named `{name}`"
                )));
            }
            types.push((name, ty));
        }
        Ok((src, types))
    }

    fn check(&self) -> Result<Kernel, Error> {
        let (src, types) = self.types()?;
        compile_expr_typed(&src, &types)
    }

    /// The expression compiled: a kernel that takes the inputs in the order
    /// of [`inputs`](Expr::inputs) and can be called again and again.
    pub fn compile(&self) -> Result<Kernel, Error> {
        self.dshape()?;
        self.check()
    }

    /// Evaluates the expression on the arrays its inputs hold.
    pub fn eval(&self) -> Result<Value, Error> {
        self.eval_with(&[])
    }

    /// Evaluates the expression, the inputs without an array of their own
    /// given by name in `args` (which may also replace those that have one).
    pub fn eval_with(&self, args: &[(&str, Arg<'_>)]) -> Result<Value, Error> {
        let kernel = self.compile()?;
        let (_, inputs) = self.render();
        let mut call: Vec<Arg<'_>> = Vec::with_capacity(inputs.len());
        for (name, _, value) in &inputs {
            match (args.iter().find(|(n, _)| n == name), value) {
                (Some((_, a)), _) => call.push(a.clone()),
                (None, Some(v)) => call.push(Arg::Value(v)),
                (None, None) => {
                    return Err(Error::Datashape(format!(
                        "input `{name}` has no value: give it to `eval_with`"
                    )))
                }
            }
        }
        if let Some((n, _)) = args
            .iter()
            .find(|(n, _)| !inputs.iter().any(|(m, _, _)| m == n))
        {
            return Err(Error::Datashape(format!(
                "`{n}` is not an input of the expression; its inputs are {}",
                inputs
                    .iter()
                    .map(|(m, _, _)| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        kernel.call_args(&call)
    }

    /// What the engine would run: the typed IR after the BLAS/LAPACK
    /// rewrites and the plan of kernels and calls.
    pub fn explain(&self) -> Result<String, Error> {
        let k = self.compile()?;
        Ok(format!("{}\n{}", k.rewritten(), k.plan_text()))
    }

    /// The axes reversed (`x.T`).
    pub fn t(&self) -> Expr {
        self.attr("T")
    }

    /// The record field `name`.
    pub fn field(&self, name: &str) -> Expr {
        self.attr(name)
    }

    fn attr(&self, name: &str) -> Expr {
        Expr::made(Node::Attr {
            a: self.clone(),
            name: name.to_string(),
        })
    }

    /// Element `k` of a tuple (`eig`'s values and vectors).
    pub fn get(&self, k: usize) -> Expr {
        self.index(&k.to_string())
    }

    /// Basic indexing with NumPy's subscripts as text: `x.index("1:, ::2")`,
    /// `x.index("..., 0")`.
    pub fn index(&self, subscripts: &str) -> Expr {
        Expr::made(Node::Index {
            a: self.clone(),
            subscripts: subscripts.to_string(),
        })
    }

    /// The matrix product (`self @ b`, NumPy's `matmul`).
    pub fn matmul(&self, b: &Expr) -> Expr {
        binary("@", self.clone(), b.clone())
    }

    /// `self ** b`.
    pub fn pow(&self, b: impl Into<Expr>) -> Expr {
        binary("**", self.clone(), b.into())
    }

    /// Conversion to the element type `dtype` (`"float32"`).
    pub fn astype(&self, dtype: &str) -> Expr {
        Expr::made(Node::Call {
            f: "cast".into(),
            args: vec![self.clone()],
            extra: vec![dtype.to_string()],
            keywords: Vec::new(),
        })
    }

    /// `self == b`, elementwise.
    pub fn eq(&self, b: impl Into<Expr>) -> Expr {
        binary("==", self.clone(), b.into())
    }

    /// `self != b`, elementwise.
    pub fn ne(&self, b: impl Into<Expr>) -> Expr {
        binary("!=", self.clone(), b.into())
    }

    /// `self < b`, elementwise.
    pub fn lt(&self, b: impl Into<Expr>) -> Expr {
        binary("<", self.clone(), b.into())
    }

    /// `self <= b`, elementwise.
    pub fn le(&self, b: impl Into<Expr>) -> Expr {
        binary("<=", self.clone(), b.into())
    }

    /// `self > b`, elementwise.
    pub fn gt(&self, b: impl Into<Expr>) -> Expr {
        binary(">", self.clone(), b.into())
    }

    /// `self >= b`, elementwise.
    pub fn ge(&self, b: impl Into<Expr>) -> Expr {
        binary(">=", self.clone(), b.into())
    }
}

pub(crate) fn binary(op: &'static str, a: Expr, b: Expr) -> Expr {
    Expr::made(Node::Binary { op, a, b })
}

pub(crate) fn unary(op: &'static str, a: Expr) -> Expr {
    Expr::made(Node::Unary { op, a })
}

impl Expr {
    /// The DSL builtin `name` (see `docs/LANGUAGE.md`) on `args`, with
    /// `axis=` when `axes` names some: what the named functions
    /// ([`sum`](crate::sum), [`sin`](crate::sin), …) make, for any builtin.
    /// A name that is not a builtin is an error held by the node.
    pub fn call(name: &str, args: Vec<Expr>, axes: Axes) -> Expr {
        if name.is_empty() || !name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric()) {
            return Expr::failed(Error::Datashape(format!(
                "`{name}` is not the name of a builtin"
            )));
        }
        let keywords = match axes {
            Axes::All => Vec::new(),
            Axes::These(a) if a.len() == 1 => vec![("axis", a[0].to_string())],
            Axes::These(a) => {
                let list: Vec<String> = a.iter().map(i64::to_string).collect();
                vec![("axis", format!("({})", list.join(", ")))]
            }
        };
        Expr::made(Node::Call {
            f: name.to_string(),
            args,
            extra: Vec::new(),
            keywords,
        })
    }

    /// A binary operation by its DSL spelling (`"+"`, `"@"`, `"<"`,
    /// `"and"`, …), as the operators and comparison methods make.
    pub fn binary(&self, op: &str, b: impl Into<Expr>) -> Expr {
        const OPS: [&str; 16] = [
            "+", "-", "*", "/", "//", "%", "**", "@", "==", "!=", "<", "<=", ">", ">=", "and", "or",
        ];
        match OPS.iter().find(|o| **o == op) {
            Some(o) => binary(o, self.clone(), b.into()),
            None => {
                let mut e = self.clone();
                e.ty = Err(Error::Datashape(format!("`{op}` is not a binary operator")));
                e
            }
        }
    }
}

impl From<f64> for Expr {
    fn from(v: f64) -> Expr {
        let text = if v.is_nan() {
            "nan".to_string()
        } else if v.is_infinite() {
            if v > 0.0 { "inf" } else { "(-inf)" }.to_string()
        } else if v < 0.0 || (v == 0.0 && v.is_sign_negative()) {
            format!("(-{:?})", -v)
        } else {
            format!("{v:?}")
        };
        Expr::made(Node::Const(text))
    }
}

impl From<i64> for Expr {
    fn from(v: i64) -> Expr {
        let text = if v < 0 {
            format!("(-{})", v.unsigned_abs())
        } else {
            v.to_string()
        };
        Expr::made(Node::Const(text))
    }
}

impl From<i32> for Expr {
    fn from(v: i32) -> Expr {
        Expr::from(i64::from(v))
    }
}

impl From<bool> for Expr {
    fn from(v: bool) -> Expr {
        Expr::made(Node::Const(v.to_string()))
    }
}

impl From<&Expr> for Expr {
    fn from(e: &Expr) -> Expr {
        e.clone()
    }
}
