//! Evaluation of a typed [`Function`] on [`Value`]s: every node in arena
//! order, index notation by explicit loops. Slow and straightforward by
//! design — this is the oracle.
//!
//! Submodules: `inputs` (checking inputs against parameter types),
//! `arrays` (indexing, reshapes, joins), `matmul` (NumPy's `matmul` on
//! every element type), `linalg_ops` (the linear-algebra functions on arrays),
//! `select` (selection, gather, `flatten` and row lengths), `ragged`
//! (operations on columns with a ragged axis), `columns` (strings and
//! decimals), `temporal` (dates and times).

mod arrays;
mod columns;
mod inputs;
mod linalg_ops;
mod matmul;
mod ragged;
mod select;
mod temporal;

use crate::element::Element;
use crate::kernels;
use crate::value::{Array, Value};
use crate::{with_array, with_scalar, EvalError};
use blaze_datashape::{Dim, Measure, Scalar};
use blaze_ir::analysis;
use blaze_ir::ops::{BinaryFn, LinalgFn, Routine, UnaryFn};
use blaze_ir::{Function, GatherItem, IndexItem, IndexVar, Literal, NodeId, Op};
use ndarray::{ArrayD, IxDyn};
use std::collections::HashMap;

use arrays::*;
use inputs::value_shape;
pub use inputs::{check_input_shapes, check_inputs, InputShape};
use linalg_ops::linalg_call;
use matmul::matmul;

/// Evaluates `f` on `inputs`, one per parameter, checked against the
/// parameter types first.
pub fn eval(f: &Function, inputs: &[Value]) -> Result<Value, EvalError> {
    let sizes = check_inputs(f, inputs)?;
    let mut ev = Evaluator {
        f,
        inputs,
        sizes,
        global: vec![None; f.nodes.len()],
        deps: analysis::index_deps(f),
    };
    ev.value(f.root, &HashMap::new(), &mut HashMap::new())
}

/// Applies the operation of node `id` of `f` to the values of its
/// arguments, as [`eval`] would. Other engines use it for operations they do
/// not compile. Parameters and the loops of index notation (`forall`,
/// `sum(k: …)`, and nodes that depend on their index variables) are not
/// single operations and are rejected.
pub fn eval_op(f: &Function, id: NodeId, args: Vec<Value>) -> Result<Value, EvalError> {
    let node = f.node(id);
    let deps = analysis::index_deps(f);
    if matches!(node.op, Op::Param(_) | Op::Forall(_) | Op::IndexReduce(..))
        || !deps[id.index()].is_empty()
    {
        return Err(EvalError::Value(format!(
            "node %{} is not a single operation",
            id.0
        )));
    }
    if args.len() != node.args.len() {
        return Err(EvalError::Value(format!(
            "node %{} takes {} arguments, got {}",
            id.0,
            node.args.len(),
            args.len()
        )));
    }
    let mut ev = Evaluator {
        f,
        inputs: &[],
        sizes: HashMap::new(),
        global: vec![None; f.nodes.len()],
        deps,
    };
    ev.apply(id, args, &HashMap::new())
}

type Env = HashMap<IndexVar, usize>;

struct Evaluator<'a> {
    f: &'a Function,
    inputs: &'a [Value],
    sizes: HashMap<String, usize>,
    /// Values of nodes that depend on no index variable.
    global: Vec<Option<Value>>,
    deps: Vec<Vec<IndexVar>>,
}

impl Evaluator<'_> {
    fn node_scalar(&self, id: NodeId) -> Option<Scalar> {
        self.f.node(id).ty.measure.element_scalar()
    }

    /// The value of node `id` with index variables at `env`; `local` caches
    /// index-dependent nodes for the current index values.
    fn value(
        &mut self,
        id: NodeId,
        env: &Env,
        local: &mut HashMap<NodeId, Value>,
    ) -> Result<Value, EvalError> {
        let dependent = !self.deps[id.index()].is_empty();
        if dependent {
            if let Some(v) = local.get(&id) {
                return Ok(v.clone());
            }
        } else if let Some(v) = &self.global[id.index()] {
            return Ok(v.clone());
        }
        // The recursion follows the arguments: as deep as the expression.
        let v = blaze_datashape::grow(|| self.compute(id, env, local))?;
        if dependent {
            local.insert(id, v.clone());
        } else {
            self.global[id.index()] = Some(v.clone());
        }
        Ok(v)
    }

    fn extent(&mut self, var: IndexVar, env: &Env) -> Result<usize, EvalError> {
        let info = &self.f.index_vars[var.0 as usize];
        match &info.extent {
            Dim::Fixed(n) => return Ok(*n as usize),
            Dim::TypeVar(name) => {
                if let Some(&n) = self.sizes.get(name) {
                    return Ok(n);
                }
            }
            _ => {}
        }
        // Find an array indexed by this variable whose value does not
        // depend on it.
        let name = info.name.clone();
        for (i, n) in self.f.nodes.iter().enumerate() {
            if let Op::Gather(items) = &n.op {
                if let Some(axis) = items.iter().position(|g| *g == GatherItem::Var(var)) {
                    let arg = n.args[0];
                    if self.deps[arg.index()].iter().all(|v| env.contains_key(v)) {
                        let a = self.value(arg, env, &mut HashMap::new())?;
                        let sh = value_shape(&a);
                        let _ = i;
                        return sh.get(axis).copied().ok_or_else(|| {
                            EvalError::Shape(format!("index `{name}` indexes a missing axis"))
                        });
                    }
                }
            }
            if let Op::Delta(vs) = &n.op {
                if vs.contains(&var) {
                    if let Some(other) = vs.iter().find(|v| **v != var) {
                        if let Dim::Fixed(k) = self.f.index_vars[other.0 as usize].extent {
                            return Ok(k as usize);
                        }
                    }
                }
            }
        }
        Err(EvalError::Shape(format!(
            "cannot determine the range of index `{name}`"
        )))
    }

    /// Iterates over all index tuples of `vars`, C order.
    fn tuples(
        &mut self,
        vars: &[IndexVar],
        env: &Env,
    ) -> Result<(Vec<usize>, Vec<Env>), EvalError> {
        let mut extents = Vec::new();
        for v in vars {
            extents.push(self.extent(*v, env)?);
        }
        let names: Vec<&str> = vars
            .iter()
            .map(|v| self.f.index_vars[v.0 as usize].name.as_str())
            .collect();
        let what = format!("the result of forall {}", names.join(", "));
        let total = blaze_array::alloc::elements(&extents, &what)?;
        // Each tuple holds its bindings and its value until the loop ends.
        let per_tuple = std::mem::size_of::<Env>() + std::mem::size_of::<Value>() + 64;
        blaze_array::alloc::bytes(total, per_tuple, &what)?;
        let mut out = blaze_array::alloc::try_with_capacity(total, &what)?;
        for flat in 0..total {
            let mut e = env.clone();
            let mut rem = flat;
            for (v, &n) in vars.iter().zip(&extents).rev() {
                e.insert(*v, rem % n);
                rem /= n;
            }
            out.push(e);
        }
        Ok((extents, out))
    }

    fn compute(
        &mut self,
        id: NodeId,
        env: &Env,
        local: &mut HashMap<NodeId, Value>,
    ) -> Result<Value, EvalError> {
        let node = self.f.node(id).clone();
        // Loops evaluate their body themselves.
        match &node.op {
            Op::Forall(vars) | Op::IndexReduce(_, vars) => {
                let (extents, envs) = self.tuples(vars, env)?;
                let body = node.args[0];
                let mut values = Vec::with_capacity(envs.len());
                for e in &envs {
                    let mut inner = local.clone();
                    inner.retain(|k, _| self.deps[k.index()].iter().all(|v| !vars.contains(v)));
                    values.push(self.value(body, e, &mut inner)?);
                }
                let body_scalar = self.node_scalar(body).unwrap_or(Scalar::Float64);
                let stacked = assemble(&extents, values, body_scalar)?;
                return match &node.op {
                    Op::IndexReduce(f, _) => {
                        let (a, m) = arr(&stacked)?;
                        let axes: Vec<usize> = (0..vars.len()).collect();
                        if matches!(
                            self.f.node(body).ty.measure,
                            Measure::Option { .. } | Measure::Null
                        ) {
                            let (data, missing) =
                                kernels::reduce_skipna(*f, a, m, Some(&axes), false)?;
                            Ok(Value::Array { data, missing })
                        } else {
                            Ok(kernels::reduce(*f, a, m, Some(&axes), false)?.into())
                        }
                    }
                    _ => Ok(stacked),
                };
            }
            _ => {}
        }
        let mut args = Vec::with_capacity(node.args.len());
        for a in &node.args {
            args.push(self.value(*a, env, local)?);
        }
        self.apply(id, args, env)
    }

    /// Applies node `id`'s operation to argument values (everything but the
    /// loops of index notation).
    fn apply(&mut self, id: NodeId, args: Vec<Value>, env: &Env) -> Result<Value, EvalError> {
        if args.iter().any(ragged::is_ragged) {
            if let Some(v) = self.apply_ragged(id, &args, env)? {
                return Ok(v);
            }
        }
        // Strings and decimals.
        if let Some(v) = columns::apply(self.f, id, &args) {
            return v;
        }
        // Dates and times.
        if let Some(v) = temporal::apply(self.f, id, &args) {
            return v;
        }
        let node = self.f.node(id).clone();
        let s = self.node_scalar(id).unwrap_or(Scalar::Float64);
        Ok(match &node.op {
            Op::Param(i) => self.inputs[*i].clone(),
            Op::Literal(l) => literal_array(s, l, &[]).into(),
            Op::ArrayLiteral { shape, values } => {
                let parts: Vec<Value> = values
                    .iter()
                    .map(|l| literal_array(s, l, &[]).into())
                    .collect();
                assemble(shape, parts, s)?
            }
            Op::Na => Value::Array {
                data: Array::zeros(s, &[]),
                missing: Some(ArrayD::from_elem(IxDyn(&[]), true)),
            },
            Op::Unary(f) => {
                let (a, m) = arr(&args[0])?;
                if *f == UnaryFn::IsNa {
                    let data = match m {
                        Some(m) => Array::Bool(m.clone()),
                        None => Array::Bool(ArrayD::from_elem(IxDyn(a.shape()), false)),
                    };
                    data.into()
                } else {
                    Value::Array {
                        data: kernels::unary(*f, a)?,
                        missing: m.cloned(),
                    }
                }
            }
            Op::Binary(f) => {
                let (a, ma) = arr(&args[0])?;
                let (b, mb) = arr(&args[1])?;
                // `na` operands carry a placeholder type: give them the other's.
                let (a, b) = match (
                    a.scalar() == b.scalar(),
                    self.is_na(node.args[0]),
                    self.is_na(node.args[1]),
                ) {
                    (true, _, _) => (a.clone(), b.clone()),
                    (false, true, _) => (kernels::cast(a, b.scalar()), b.clone()),
                    (false, _, true) => (a.clone(), kernels::cast(b, a.scalar())),
                    _ => (a.clone(), kernels::cast(b, a.scalar())),
                };
                let data = kernels::binary(*f, &a, &b)?;
                let missing = union_masks(data.shape(), &[ma, mb])?;
                Value::Array { data, missing }
            }
            Op::Where => {
                let (c, mc) = arr(&args[0])?;
                let (x, mx) = arr(&args[1])?;
                let (y, my) = arr(&args[2])?;
                let (x, y) = if x.scalar() == y.scalar() {
                    (x.clone(), y.clone())
                } else if self.is_na(node.args[1]) {
                    (kernels::cast(x, y.scalar()), y.clone())
                } else {
                    (x.clone(), kernels::cast(y, x.scalar()))
                };
                let data = kernels::where_(c, &x, &y)?;
                let shape = data.shape().to_vec();
                let branch = match (mx, my) {
                    (None, None) => None,
                    _ => {
                        let fx = mx
                            .cloned()
                            .unwrap_or_else(|| ArrayD::from_elem(IxDyn(x.shape()), false));
                        let fy = my
                            .cloned()
                            .unwrap_or_else(|| ArrayD::from_elem(IxDyn(y.shape()), false));
                        match kernels::where_(c, &Array::Bool(fx), &Array::Bool(fy))? {
                            Array::Bool(m) => Some(m),
                            _ => None,
                        }
                    }
                };
                let missing = union_masks(&shape, &[mc, branch.as_ref()])?;
                // A narrowed `where` (`where(isna(a), v, a)`) is plain: its
                // mask, if any, is all false.
                let missing = match missing {
                    Some(m) if !matches!(node.ty.measure, Measure::Option { .. }) => {
                        if m.iter().any(|&b| b) {
                            return Err(EvalError::Value(format!(
                                "node %{} is typed `{}` but has missing elements",
                                id.0, node.ty
                            )));
                        }
                        None
                    }
                    m => m,
                };
                Value::Array { data, missing }
            }
            Op::ToDecimal { .. } => {
                return Err(EvalError::Value(format!(
                    "node %{}: a cast to a decimal of a {}",
                    id.0,
                    if matches!(args[0], Value::Record(_)) {
                        "record"
                    } else {
                        "tuple"
                    }
                )))
            }
            Op::Cast(t) => {
                let (a, m) = arr(&args[0])?;
                Value::Array {
                    data: kernels::cast(a, *t),
                    missing: m.cloned(),
                }
            }
            Op::Reduce { f, axes, keepdims } => {
                let (a, m) = arr(&args[0])?;
                let over_options = matches!(
                    self.f.node(node.args[0]).ty.measure,
                    Measure::Option { .. } | Measure::Null
                );
                if over_options {
                    let (data, missing) =
                        kernels::reduce_skipna(*f, a, m, axes.as_deref(), *keepdims)?;
                    Value::Array { data, missing }
                } else {
                    kernels::reduce(*f, a, m, axes.as_deref(), *keepdims)?.into()
                }
            }
            Op::FillNa => {
                let (x, m) = arr(&args[0])?;
                let (v, _) = arr(&args[1])?;
                let x = if x.scalar() == v.scalar() {
                    x.clone()
                } else {
                    kernels::cast(x, v.scalar())
                };
                kernels::fillna(&x, m, v)?.into()
            }
            Op::Index(items) if matches!(args[0], Value::Column(_)) => match &args[0] {
                Value::Column(c) => ragged::index_column(c, items)?,
                _ => return Err(EvalError::Value("indexing a non-column".into())),
            },
            Op::Index(items) => {
                let (a, m) = arr(&args[0])?;
                let data = with_array!(a, x => generic_index(x, items).map(Element::wrap)?);
                let missing = m.map(|m| generic_index(m, items)).transpose()?;
                Value::Array { data, missing }
            }
            Op::Transpose(perm) => match &args[0] {
                Value::Array { data, missing } => Value::Array {
                    data: with_array!(data, x => Element::wrap(generic_transpose(x, perm))),
                    missing: missing.as_ref().map(|m| generic_transpose(m, perm)),
                },
                _ => return Err(EvalError::Value("transpose of a record or tuple".into())),
            },
            Op::Reshape(shape) => {
                let (a, m) = arr(&args[0])?;
                let shape = resolve_shape(a.shape(), shape)?;
                let data = with_array!(a, x => generic_reshape(x, &shape).map(Element::wrap)?);
                let missing = m.map(|m| generic_reshape(m, &shape)).transpose()?;
                Value::Array { data, missing }
            }
            Op::Concat(axis) | Op::Stack(axis) => {
                let stack = matches!(node.op, Op::Stack(_));
                let mut parts = Vec::new();
                let mut masks = Vec::new();
                for v in &args {
                    let (a, m) = arr(v)?;
                    parts.push(if a.scalar() == s {
                        a.clone()
                    } else {
                        kernels::cast(a, s)
                    });
                    masks.push(
                        m.cloned()
                            .unwrap_or_else(|| ArrayD::from_elem(IxDyn(a.shape()), false)),
                    );
                }
                let data = with_scalar!(s, T => generic_join::<T>(&parts, *axis, stack)?);
                let any_mask = args.iter().any(|v| {
                    matches!(
                        v,
                        Value::Array {
                            missing: Some(_),
                            ..
                        }
                    )
                });
                let missing = if any_mask {
                    match generic_join::<bool>(
                        &masks.into_iter().map(Array::Bool).collect::<Vec<_>>(),
                        *axis,
                        stack,
                    )? {
                        Array::Bool(m) => Some(m),
                        _ => None,
                    }
                } else {
                    None
                };
                Value::Array { data, missing }
            }
            Op::MatMul => {
                let (a, _) = arr(&args[0])?;
                let (b, _) = arr(&args[1])?;
                matmul(a, b)?.into()
            }
            Op::Linalg(f) => {
                let arrays: Vec<&Array> = args
                    .iter()
                    .map(|v| arr(v).map(|(a, _)| a))
                    .collect::<Result<_, _>>()?;
                let out = match &node.ty.measure {
                    Measure::Tuple { elems } => elems
                        .first()
                        .and_then(|e| e.measure.element_scalar())
                        .unwrap_or(s),
                    _ => s,
                };
                linalg_call(*f, &arrays, out)?
            }
            Op::Call(r) => {
                let a = |k: usize| arr(&args[k]).map(|(x, _)| x);
                let t = |x: &Array, yes: bool| {
                    if yes {
                        with_array!(x, v => Element::wrap(generic_transpose(v, &[1, 0])))
                    } else {
                        x.clone()
                    }
                };
                match *r {
                    Routine::Gemm { trans_a, trans_b } => {
                        let p = matmul(&t(a(0)?, trans_a), &t(a(1)?, trans_b))?;
                        let mut r = kernels::binary(BinaryFn::Mul, a(2)?, &p)?;
                        if args.len() == 5 {
                            let c = kernels::binary(BinaryFn::Mul, a(3)?, a(4)?)?;
                            r = kernels::binary(BinaryFn::Add, &r, &c)?;
                        }
                        r.into()
                    }
                    Routine::Gemv { trans } => {
                        let p = matmul(&t(a(0)?, trans), a(1)?)?;
                        kernels::binary(BinaryFn::Mul, a(2)?, &p)?.into()
                    }
                    Routine::Dot => matmul(a(0)?, a(1)?)?.into(),
                    Routine::Syrk { trans } => {
                        let x = a(0)?;
                        let p = if trans {
                            matmul(&t(x, true), x)?
                        } else {
                            matmul(x, &t(x, true))?
                        };
                        kernels::binary(BinaryFn::Mul, a(1)?, &p)?.into()
                    }
                    Routine::Trsm { .. } => linalg_call(LinalgFn::Solve, &[a(0)?, a(1)?], s)?,
                    Routine::SymEig => {
                        let Value::Tuple(parts) = linalg_call(LinalgFn::Eigh, &[a(0)?], s)? else {
                            return Err(EvalError::Value("eigh gave no tuple".into()));
                        };
                        let Measure::Tuple { elems } = &node.ty.measure else {
                            return Err(EvalError::Value("eig has no tuple type".into()));
                        };
                        let mut out = Vec::new();
                        for (v, t) in parts.iter().zip(elems) {
                            let to = t.measure.element_scalar().unwrap_or(Scalar::Complex128);
                            out.push(Value::from(kernels::cast(arr(v)?.0, to)));
                        }
                        Value::Tuple(out)
                    }
                }
            }
            Op::Select => select::select(&args[0], &args[1])?,
            Op::Take => select::take(&args[0], &args[1])?,
            Op::Flatten => select::flatten(&args[0])?,
            Op::Length(axis) => select::dense_length(&args[0], *axis)?,
            Op::Field(name) => match &args[0] {
                Value::Record(fields) => fields
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
                    .ok_or_else(|| EvalError::Value(format!("no field `{name}`")))?,
                _ => return Err(EvalError::Value(format!("field `{name}` of a non-record"))),
            },
            Op::MakeRecord(names) => {
                // Fields broadcast over the record's dimensions; a field's
                // own fixed dimensions after them (`N * {v: 3 * float64}`,
                // as a view makes) stay its own.
                let outer = node.ty.dims.len();
                let shapes: Vec<Vec<usize>> = args.iter().map(value_shape).collect();
                let mut shape: Vec<usize> = vec![];
                for sh in &shapes {
                    shape = kernels::broadcast_shapes(&shape, &sh[..sh.len().min(outer)])?;
                }
                let mut fields = Vec::new();
                for ((n, v), sh) in names.iter().zip(args).zip(&shapes) {
                    let mut shape = shape.clone();
                    shape.extend_from_slice(sh.get(outer..).unwrap_or(&[]));
                    let v = match v {
                        Value::Array { data, missing } => Value::Array {
                            data: kernels::broadcast_to(&data, &shape)?,
                            missing: missing
                                .map(|m| kernels::broadcast_mask(&m, &shape))
                                .transpose()?,
                        },
                        other => other,
                    };
                    fields.push((n.clone(), v));
                }
                Value::Record(fields)
            }
            Op::MakeTuple => Value::Tuple(args),
            Op::TupleGet(i) => match &args[0] {
                Value::Tuple(items) => items
                    .get(*i)
                    .cloned()
                    .ok_or_else(|| EvalError::Value(format!("tuple has no element {i}")))?,
                _ => return Err(EvalError::Value("element of a non-tuple".into())),
            },
            Op::Gather(items) => {
                let (a, m) = arr(&args[0])?;
                let mut idx = Vec::new();
                for (axis, g) in items.iter().enumerate() {
                    let n = a.shape().get(axis).copied().unwrap_or(0) as i64;
                    let i = match g {
                        GatherItem::Var(v) => env.get(v).copied().unwrap_or(0) as i64,
                        GatherItem::At(i) => *i,
                    };
                    let k = if i < 0 { i + n } else { i };
                    if k < 0 || k >= n {
                        return Err(EvalError::Shape(format!(
                            "index {i} is out of bounds for axis {axis} with size {n}"
                        )));
                    }
                    idx.push(IndexItem::At(k));
                }
                while idx.len() < a.ndim() {
                    idx.push(IndexItem::Range {
                        start: None,
                        stop: None,
                        step: 1,
                    });
                }
                let data = with_array!(a, x => generic_index(x, &idx).map(Element::wrap)?);
                let missing = m.map(|m| generic_index(m, &idx)).transpose()?;
                Value::Array { data, missing }
            }
            Op::IndexValue(v) => {
                Array::Int64(ndarray::arr0(env.get(v).copied().unwrap_or(0) as i64).into_dyn())
                    .into()
            }
            Op::Eps(vs) => {
                let idx: Vec<usize> = vs
                    .iter()
                    .map(|v| env.get(v).copied().unwrap_or(0))
                    .collect();
                literal_array(s, &Literal::Int(levi_civita(&idx) as i128), &[]).into()
            }
            Op::Delta(vs) => {
                let same = vs.windows(2).all(|w| env.get(&w[0]) == env.get(&w[1]));
                literal_array(s, &Literal::Int(same as i128), &[]).into()
            }
            Op::Forall(_) | Op::IndexReduce(..) => {
                return Err(EvalError::Value("loop evaluated twice".into()))
            }
        })
    }

    fn is_na(&self, id: NodeId) -> bool {
        matches!(self.f.node(id).op, Op::Na) || matches!(self.f.node(id).ty.measure, Measure::Null)
    }
}
