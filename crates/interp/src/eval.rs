//! Evaluation of a typed [`Function`] on [`Value`]s: every node in arena
//! order, index notation by explicit loops. Slow and straightforward by
//! design — this is the oracle.

use crate::element::{Element, Ring};
use crate::kernels;
use crate::linalg::{self, LinalgError};
use crate::value::{Array, Value};
use crate::{with_array, with_scalar, EvalError};
use blaze_datashape::{Datashape, Dim, Measure, Scalar};
use blaze_ir::ops::{BinaryFn, LinalgFn, Routine, UnaryFn};
use blaze_ir::{slice_bounds, Function, GatherItem, IndexItem, IndexVar, Literal, NodeId, Op};
use ndarray::{ArrayD, Axis, IxDyn, Slice};
use num_complex::Complex64;
use std::collections::HashMap;

/// Evaluates `f` on `inputs`, one per parameter, checked against the
/// parameter types first.
pub fn eval(f: &Function, inputs: &[Value]) -> Result<Value, EvalError> {
    let sizes = check_inputs(f, inputs)?;
    let mut ev = Evaluator {
        f,
        inputs,
        sizes,
        global: vec![None; f.nodes.len()],
        deps: index_deps(f),
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
    let deps = index_deps(f);
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

/// Checks `inputs` against the parameter types of `f` (count, dtype,
/// rank, fixed lengths, and one length per dimension variable); returns the
/// length bound to each dimension variable.
pub fn check_inputs(f: &Function, inputs: &[Value]) -> Result<HashMap<String, usize>, EvalError> {
    if inputs.len() != f.params.len() {
        return Err(EvalError::Input(format!(
            "`{}` takes {} input{}, got {}",
            f.name,
            f.params.len(),
            if f.params.len() == 1 { "" } else { "s" },
            inputs.len()
        )));
    }
    let mut sizes: HashMap<String, usize> = HashMap::new();
    for ((name, ty), v) in f.params.iter().zip(inputs) {
        check_input(name, ty, v, &mut sizes)?;
    }
    Ok(sizes)
}

/// Checks that `v` fits type `ty` (after expansion of definitions), binding
/// symbolic dimensions to sizes.
fn check_input(
    name: &str,
    ty: &Datashape,
    v: &Value,
    sizes: &mut HashMap<String, usize>,
) -> Result<(), EvalError> {
    let shape = value_shape(v);
    let fixed: Vec<&Dim> = ty.dims.iter().collect();
    if fixed.iter().any(|d| matches!(d, Dim::Ellipsis(_))) {
        return Ok(());
    }
    if shape.len() < fixed.len() {
        return Err(EvalError::Input(format!(
            "input `{name}` has shape {shape:?}, but its type `{ty}` has {} dimensions",
            fixed.len()
        )));
    }
    for (i, d) in fixed.iter().enumerate() {
        let n = shape[i];
        match d {
            Dim::Fixed(m) if *m as usize != n => {
                return Err(EvalError::Input(format!(
                    "input `{name}` has length {n} on axis {i}, but its type `{ty}` says {m}"
                )));
            }
            Dim::TypeVar(var) => match sizes.get(var) {
                Some(&m) if m != n => {
                    return Err(EvalError::Input(format!("input `{name}` has length {n} on axis {i} for `{var}`, which is {m} elsewhere")));
                }
                Some(_) => {}
                None => {
                    sizes.insert(var.clone(), n);
                }
            },
            _ => {}
        }
    }
    if let (Value::Array { data, .. }, Some(s)) = (v, measure_scalar(&ty.measure)) {
        if data.scalar() != s {
            return Err(EvalError::Input(format!(
                "input `{name}` holds {}, but its type is `{ty}`",
                data.scalar()
            )));
        }
        if shape.len() != fixed.len() {
            return Err(EvalError::Input(format!(
                "input `{name}` has shape {shape:?}, but its type is `{ty}`"
            )));
        }
    }
    Ok(())
}

fn value_shape(v: &Value) -> Vec<usize> {
    match v {
        Value::Array { data, .. } => data.shape().to_vec(),
        Value::Record(fields) => fields.first().map_or(vec![], |(_, f)| value_shape(f)),
        Value::Tuple(_) => vec![],
    }
}

fn measure_scalar(m: &Measure) -> Option<Scalar> {
    match m {
        Measure::Scalar { scalar } => Some(*scalar),
        Measure::Option { inner } => inner.as_scalar(),
        _ => None,
    }
}

/// For every node, the index variables its value depends on.
fn index_deps(f: &Function) -> Vec<Vec<IndexVar>> {
    let mut deps: Vec<Vec<IndexVar>> = Vec::with_capacity(f.nodes.len());
    for n in &f.nodes {
        let mut d: Vec<IndexVar> = Vec::new();
        for a in &n.args {
            for v in &deps[a.index()] {
                if !d.contains(v) {
                    d.push(*v);
                }
            }
        }
        let own: Vec<IndexVar> = match &n.op {
            Op::IndexValue(v) => vec![*v],
            Op::Eps(vs) | Op::Delta(vs) => vs.clone(),
            Op::Gather(items) => items
                .iter()
                .filter_map(|g| {
                    if let GatherItem::Var(v) = g {
                        Some(*v)
                    } else {
                        None
                    }
                })
                .collect(),
            _ => vec![],
        };
        for v in own {
            if !d.contains(&v) {
                d.push(v);
            }
        }
        // A loop binds its own variables: they are not free outside it.
        if let Op::Forall(vs) | Op::IndexReduce(_, vs) = &n.op {
            d.retain(|v| !vs.contains(v));
        }
        deps.push(d);
    }
    deps
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

fn arr(v: &Value) -> Result<(&Array, Option<&ArrayD<bool>>), EvalError> {
    match v {
        Value::Array { data, missing } => Ok((data, missing.as_ref())),
        Value::Record(_) => Err(EvalError::Value("expected an array, found a record".into())),
        Value::Tuple(_) => Err(EvalError::Value("expected an array, found a tuple".into())),
    }
}

fn linalg_err(e: LinalgError) -> EvalError {
    EvalError::Linalg(e.to_string())
}

/// An array of `shape` filled with the literal, converted to `s`.
fn literal_array(s: Scalar, l: &Literal, shape: &[usize]) -> Array {
    let base = match l {
        Literal::Bool(b) => Array::Bool(ArrayD::from_elem(IxDyn(shape), *b)),
        Literal::Int(i) => Array::Int64(ArrayD::from_elem(IxDyn(shape), *i as i64)),
        Literal::Float(x) => Array::Float64(ArrayD::from_elem(IxDyn(shape), *x)),
        Literal::Complex(r, i) => {
            Array::Complex128(ArrayD::from_elem(IxDyn(shape), Complex64::new(*r, *i)))
        }
    };
    if base.scalar() == s {
        base
    } else {
        kernels::cast(&base, s)
    }
}

/// The union of masks, broadcast to `shape`.
fn union_masks(
    shape: &[usize],
    masks: &[Option<&ArrayD<bool>>],
) -> Result<Option<ArrayD<bool>>, EvalError> {
    let mut out: Option<ArrayD<bool>> = None;
    for m in masks.iter().flatten() {
        let b = kernels::broadcast_mask(m, shape)?;
        out = Some(match out {
            None => b,
            Some(o) => ndarray::Zip::from(&o).and(&b).map_collect(|x, y| *x || *y),
        });
    }
    Ok(out)
}

fn generic_index<T: Clone>(a: &ArrayD<T>, items: &[IndexItem]) -> Result<ArrayD<T>, EvalError> {
    let mut view = a.view();
    for (axis, item) in items.iter().enumerate().rev() {
        let n = view.shape()[axis] as i64;
        match item {
            IndexItem::At(i) => {
                let k = if *i < 0 { i + n } else { *i };
                if k < 0 || k >= n {
                    return Err(EvalError::Shape(format!(
                        "index {i} is out of bounds for axis {axis} with size {n}"
                    )));
                }
                view = view.index_axis_move(Axis(axis), k as usize);
            }
            IndexItem::Range { start, stop, step } => {
                let (first, stop) = slice_bounds(n, *start, *stop, *step);
                let s = if *step > 0 {
                    Slice::new(
                        first as isize,
                        Some(stop.max(first) as isize),
                        *step as isize,
                    )
                } else if first > stop {
                    Slice::new(
                        (stop + 1) as isize,
                        Some((first + 1) as isize),
                        *step as isize,
                    )
                } else {
                    Slice::new(0, Some(0), 1)
                };
                view.slice_axis_inplace(Axis(axis), s);
            }
        }
    }
    Ok(view.to_owned())
}

fn generic_transpose<T: Clone>(a: &ArrayD<T>, perm: &[usize]) -> ArrayD<T> {
    a.view()
        .permuted_axes(IxDyn(perm))
        .as_standard_layout()
        .into_owned()
}

fn generic_reshape<T: Clone>(a: &ArrayD<T>, shape: &[usize]) -> Result<ArrayD<T>, EvalError> {
    a.as_standard_layout()
        .into_owned()
        .into_shape_with_order(IxDyn(shape))
        .map_err(|e| {
            EvalError::Shape(format!(
                "cannot reshape {:?} into {shape:?}: {e}",
                a.shape()
            ))
        })
}

fn resolve_shape(from: &[usize], shape: &[i64]) -> Result<Vec<usize>, EvalError> {
    let total: usize = from.iter().product();
    let known: usize = shape
        .iter()
        .filter(|&&d| d >= 0)
        .map(|&d| d as usize)
        .product();
    let mut out = Vec::with_capacity(shape.len());
    for &d in shape {
        out.push(if d >= 0 {
            d as usize
        } else if known > 0 && total % known == 0 {
            total / known
        } else {
            return Err(EvalError::Shape(format!(
                "cannot reshape an array of shape {from:?} into {shape:?}"
            )));
        });
    }
    if out.iter().product::<usize>() != total {
        return Err(EvalError::Shape(format!(
            "cannot reshape an array of shape {from:?} ({total} elements) into {shape:?}"
        )));
    }
    Ok(out)
}

fn generic_join<T: Element>(
    arrays: &[Array],
    axis: usize,
    stack: bool,
) -> Result<Array, EvalError> {
    let views: Vec<_> = arrays
        .iter()
        .map(|a| {
            T::get(a)
                .map(|x| x.view())
                .ok_or_else(|| EvalError::Value("mixed element types in concat".into()))
        })
        .collect::<Result<_, _>>()?;
    let r = if stack {
        ndarray::stack(Axis(axis), &views)
    } else {
        ndarray::concatenate(Axis(axis), &views)
    };
    r.map(T::wrap).map_err(|e| {
        let shapes: Vec<Vec<usize>> = arrays.iter().map(|a| a.shape().to_vec()).collect();
        EvalError::Shape(format!(
            "cannot {} arrays of shapes {shapes:?} along axis {axis}: {e}",
            if stack { "stack" } else { "concatenate" }
        ))
    })
}

/// NumPy's `matmul`: 1-D operands are promoted to matrices and the added
/// axis removed afterwards; leading axes broadcast.
fn generic_matmul<T: Ring>(a: &ArrayD<T>, b: &ArrayD<T>) -> Result<ArrayD<T>, EvalError> {
    let (a_vec, b_vec) = (a.ndim() == 1, b.ndim() == 1);
    let a2 = if a_vec {
        a.view().insert_axis(Axis(0))
    } else {
        a.view()
    };
    let b2 = if b_vec {
        b.view().insert_axis(Axis(1))
    } else {
        b.view()
    };
    let (ra, rb) = (a2.ndim(), b2.ndim());
    let (n, k) = (a2.shape()[ra - 2], a2.shape()[ra - 1]);
    let (k2, m) = (b2.shape()[rb - 2], b2.shape()[rb - 1]);
    if k != k2 {
        return Err(EvalError::Shape(format!(
            "matmul: shapes {:?} and {:?} do not align ({k} ≠ {k2})",
            a.shape(),
            b.shape()
        )));
    }
    let batch = kernels::broadcast_shapes(&a2.shape()[..ra - 2], &b2.shape()[..rb - 2])?;
    let mut full_a = batch.clone();
    full_a.extend([n, k]);
    let mut full_b = batch.clone();
    full_b.extend([k, m]);
    let av = a2
        .broadcast(IxDyn(&full_a))
        .ok_or_else(|| EvalError::Shape("matmul: cannot broadcast".into()))?;
    let bv = b2
        .broadcast(IxDyn(&full_b))
        .ok_or_else(|| EvalError::Shape("matmul: cannot broadcast".into()))?;
    let mut out_shape = batch.clone();
    out_shape.extend([n, m]);
    let mut out = ArrayD::from_elem(IxDyn(&out_shape), T::zero());
    let batches: usize = batch.iter().product();
    let av = av
        .to_shape((batches, n, k))
        .map_err(|e| EvalError::Shape(e.to_string()))?;
    let bv = bv
        .to_shape((batches, k, m))
        .map_err(|e| EvalError::Shape(e.to_string()))?;
    {
        let mut ov = out
            .view_mut()
            .into_shape_with_order((batches, n, m))
            .map_err(|e| EvalError::Shape(e.to_string()))?;
        for p in 0..batches {
            for i in 0..n {
                for kk in 0..k {
                    let x = av[[p, i, kk]];
                    for j in 0..m {
                        ov[[p, i, j]] = T::mul_add(ov[[p, i, j]], x, bv[[p, kk, j]]);
                    }
                }
            }
        }
    }
    let mut out = out;
    if b_vec {
        let last = out.ndim() - 1;
        out = out.index_axis_move(Axis(last), 0);
    }
    if a_vec {
        let row = out.ndim() - if b_vec { 1 } else { 2 };
        out = out.index_axis_move(Axis(row), 0);
    }
    Ok(out)
}

fn matmul(a: &Array, b: &Array) -> Result<Array, EvalError> {
    with_scalar!(a.scalar(), T => {
        let (Some(x), Some(y)) = (T::get(a), T::get(b)) else {
            return Err(EvalError::Value("matmul operands of different types".into()));
        };
        generic_matmul::<T>(x, y).map(T::wrap)
    })
}

/// Runs a 2-D linear-algebra routine on a float or complex array in the
/// routine's f64/complex128 precision, and converts results back.
fn to_f64_2d(a: &Array) -> Result<ndarray::Array2<f64>, EvalError> {
    match kernels::cast(a, Scalar::Float64) {
        Array::Float64(x) => x
            .into_dimensionality()
            .map_err(|e| EvalError::Shape(e.to_string())),
        _ => Err(EvalError::Value("expected a float matrix".into())),
    }
}

fn to_c128_2d(a: &Array) -> Result<ndarray::Array2<Complex64>, EvalError> {
    match kernels::cast(a, Scalar::Complex128) {
        Array::Complex128(x) => x
            .into_dimensionality()
            .map_err(|e| EvalError::Shape(e.to_string())),
        _ => Err(EvalError::Value("expected a complex matrix".into())),
    }
}

fn back<D: ndarray::Dimension>(x: ndarray::Array<f64, D>, s: Scalar) -> Array {
    kernels::cast(&Array::Float64(x.into_dyn()), s)
}

fn back_c<D: ndarray::Dimension>(x: ndarray::Array<Complex64, D>, s: Scalar) -> Array {
    kernels::cast(&Array::Complex128(x.into_dyn()), s)
}

fn is_complex(s: Scalar) -> bool {
    matches!(s, Scalar::Complex64 | Scalar::Complex128)
}

fn real_scalar(s: Scalar) -> Scalar {
    blaze_ir::ops::real_of(s)
}

fn linalg_call(f: LinalgFn, args: &[&Array], out: Scalar) -> Result<Value, EvalError> {
    let s = args[0].scalar();
    let square = |a: &Array| -> Result<(), EvalError> {
        let sh = a.shape();
        if sh.len() != 2 || sh[0] != sh[1] {
            return Err(EvalError::Linalg(format!(
                "`{}` needs a square matrix, found shape {sh:?}",
                f.name()
            )));
        }
        Ok(())
    };
    macro_rules! both {
        ($x:ident => $real:expr, $cplx:expr) => {
            if is_complex(s) {
                let $x = to_c128_2d(args[0])?;
                $cplx
            } else {
                let $x = to_f64_2d(args[0])?;
                $real
            }
        };
    }
    let v = |a: Array| Value::from(a);
    Ok(match f {
        LinalgFn::Inv => {
            square(args[0])?;
            both!(a => v(back(linalg::inv(a.view()).map_err(linalg_err)?, s)), v(back_c(linalg::inv(a.view()).map_err(linalg_err)?, s)))
        }
        LinalgFn::Det => {
            square(args[0])?;
            both!(a => v(back(ndarray::arr0(linalg::det(a.view()).map_err(linalg_err)?), s)), v(back_c(ndarray::arr0(linalg::det(a.view()).map_err(linalg_err)?), s)))
        }
        LinalgFn::Cholesky => {
            square(args[0])?;
            both!(a => v(back(linalg::cholesky(a.view()).map_err(linalg_err)?, s)), v(back_c(linalg::cholesky(a.view()).map_err(linalg_err)?, s)))
        }
        LinalgFn::Trace => {
            square(args[0])?;
            both!(a => v(back(ndarray::arr0(linalg::trace(a.view())), s)), v(back_c(ndarray::arr0(linalg::trace(a.view())), s)))
        }
        LinalgFn::Norm => {
            let r = real_scalar(s);
            let n = if is_complex(s) {
                match kernels::cast(args[0], Scalar::Complex128) {
                    Array::Complex128(x) => linalg::norm(x.view()),
                    _ => 0.0,
                }
            } else {
                match kernels::cast(args[0], Scalar::Float64) {
                    Array::Float64(x) => linalg::norm(x.view()),
                    _ => 0.0,
                }
            };
            v(back(ndarray::arr0(n), r))
        }
        LinalgFn::Qr => both!(a => {
            let (q, r) = linalg::qr(a.view()).map_err(linalg_err)?;
            Value::Tuple(vec![v(back(q, s)), v(back(r, s))])
        }, {
            let (q, r) = linalg::qr(a.view()).map_err(linalg_err)?;
            Value::Tuple(vec![v(back_c(q, s)), v(back_c(r, s))])
        }),
        LinalgFn::Svd => both!(a => {
            let (u, sv, vh) = linalg::svd(a.view()).map_err(linalg_err)?;
            Value::Tuple(vec![v(back(u, s)), v(back(sv, real_scalar(s))), v(back(vh, s))])
        }, {
            let (u, sv, vh) = linalg::svd(a.view()).map_err(linalg_err)?;
            Value::Tuple(vec![v(back_c(u, s)), v(back(sv, real_scalar(s))), v(back_c(vh, s))])
        }),
        LinalgFn::Eig => {
            square(args[0])?;
            both!(a => {
                let (w, vecs) = linalg::eig(a.view()).map_err(linalg_err)?;
                Value::Tuple(vec![v(back_c(w, out)), v(back_c(vecs, out))])
            }, {
                let (w, vecs) = linalg::eig(a.view()).map_err(linalg_err)?;
                Value::Tuple(vec![v(back_c(w, out)), v(back_c(vecs, out))])
            })
        }
        LinalgFn::Eigh => {
            square(args[0])?;
            both!(a => {
                let (w, vecs) = linalg::eigh(a.view()).map_err(linalg_err)?;
                Value::Tuple(vec![v(back(w, real_scalar(s))), v(back(vecs, s))])
            }, {
                let (w, vecs) = linalg::eigh(a.view()).map_err(linalg_err)?;
                Value::Tuple(vec![v(back(w, real_scalar(s))), v(back_c(vecs, s))])
            })
        }
        LinalgFn::Solve | LinalgFn::Lstsq => {
            let b = args[1];
            if f == LinalgFn::Solve {
                square(args[0])?;
            }
            if is_complex(s) {
                let a = to_c128_2d(args[0])?;
                let bb = match kernels::cast(b, Scalar::Complex128) {
                    Array::Complex128(x) => x,
                    _ => {
                        return Err(EvalError::Value(
                            "expected a complex right-hand side".into(),
                        ))
                    }
                };
                let r = if f == LinalgFn::Solve {
                    linalg::solve(a.view(), bb.view())
                } else {
                    linalg::lstsq(a.view(), bb.view())
                };
                v(back_c(r.map_err(linalg_err)?, s))
            } else {
                let a = to_f64_2d(args[0])?;
                let bb = match kernels::cast(b, Scalar::Float64) {
                    Array::Float64(x) => x,
                    _ => return Err(EvalError::Value("expected a float right-hand side".into())),
                };
                let r = if f == LinalgFn::Solve {
                    linalg::solve(a.view(), bb.view())
                } else {
                    linalg::lstsq(a.view(), bb.view())
                };
                v(back(r.map_err(linalg_err)?, s))
            }
        }
    })
}

fn levi_civita(idx: &[usize]) -> i64 {
    let mut sign = 1;
    for i in 0..idx.len() {
        for j in i + 1..idx.len() {
            if idx[i] == idx[j] {
                return 0;
            }
            if idx[i] > idx[j] {
                sign = -sign;
            }
        }
    }
    sign
}

/// Builds one array of `outer ++ inner` from values of shape `inner`,
/// given in C order over `outer`.
fn assemble(outer: &[usize], values: Vec<Value>, scalar: Scalar) -> Result<Value, EvalError> {
    let mut parts: Vec<Array> = Vec::with_capacity(values.len());
    let mut masks: Vec<Option<ArrayD<bool>>> = Vec::with_capacity(values.len());
    for v in values {
        let (a, m) = arr(&v)?;
        parts.push(if a.scalar() == scalar {
            a.clone()
        } else {
            kernels::cast(a, scalar)
        });
        masks.push(m.cloned());
    }
    let inner: Vec<usize> = parts.first().map_or(vec![], |p| p.shape().to_vec());
    let mut shape = outer.to_vec();
    shape.extend(&inner);
    let data = with_scalar!(scalar, T => {
        let mut flat: Vec<T> = Vec::with_capacity(shape.iter().product());
        for p in &parts {
            let x = T::get(p).ok_or_else(|| EvalError::Value("mixed types in a comprehension".into()))?;
            if x.shape() != inner.as_slice() {
                return Err(EvalError::Shape(format!("comprehension body values of shapes {:?} and {:?}", inner, x.shape())));
            }
            flat.extend(x.iter().cloned());
        }
        T::wrap(ArrayD::from_shape_vec(IxDyn(&shape), flat).map_err(|e| EvalError::Shape(e.to_string()))?)
    });
    let missing = if masks.iter().any(Option::is_some) {
        let mut flat = Vec::with_capacity(shape.iter().product());
        for (m, p) in masks.iter().zip(&parts) {
            match m {
                Some(m) => flat.extend(m.iter().copied()),
                None => flat.extend(std::iter::repeat_n(false, p.len())),
            }
        }
        Some(
            ArrayD::from_shape_vec(IxDyn(&shape), flat)
                .map_err(|e| EvalError::Shape(e.to_string()))?,
        )
    } else {
        None
    };
    Ok(Value::Array { data, missing })
}

impl Evaluator<'_> {
    fn node_scalar(&self, id: NodeId) -> Option<Scalar> {
        measure_scalar(&self.f.node(id).ty.measure)
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
        let v = self.compute(id, env, local)?;
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
        let total: usize = extents.iter().product();
        let mut out = Vec::with_capacity(total);
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
                        Ok(kernels::reduce(*f, a, m, Some(&axes), false)?.into())
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
                Value::Array { data, missing }
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
                kernels::reduce(*f, a, m, axes.as_deref(), *keepdims)?.into()
            }
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
                        .and_then(|e| measure_scalar(&e.measure))
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
                            let to = measure_scalar(&t.measure).unwrap_or(Scalar::Complex128);
                            out.push(Value::from(kernels::cast(arr(v)?.0, to)));
                        }
                        Value::Tuple(out)
                    }
                }
            }
            Op::Field(name) => match &args[0] {
                Value::Record(fields) => fields
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
                    .ok_or_else(|| EvalError::Value(format!("no field `{name}`")))?,
                _ => return Err(EvalError::Value(format!("field `{name}` of a non-record"))),
            },
            Op::MakeRecord(names) => {
                let shapes: Vec<Vec<usize>> = args.iter().map(value_shape).collect();
                let mut shape: Vec<usize> = vec![];
                for sh in &shapes {
                    shape = kernels::broadcast_shapes(&shape, sh)?;
                }
                let mut fields = Vec::new();
                for (n, v) in names.iter().zip(args) {
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
