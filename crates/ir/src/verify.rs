//! The IR verifier. It checks, for every node of a function:
//!
//! 1. its arguments are earlier nodes (the arena is in evaluation order) and
//!    their number fits the operation;
//! 2. `param i` refers to an existing parameter, index variables exist;
//! 3. every type is fully expanded (no applied type definitions);
//! 4. elementwise operands have the element type the operation computes in
//!    (the checker inserted the casts): both operands of a binary operation
//!    have one scalar type, the branches of `where` too, and both operands
//!    of `fillna`, whose result is that scalar, never an option;
//! 5. `cast` produces the scalar it names;
//! 6. axes of reductions are ascending, unique and in range; a transpose is a
//!    permutation of the argument's axes; basic indexing has one item per
//!    axis and no zero step; a selection's mask is a 1-d `bool` array, a
//!    gather's indices plain integers, `flatten` merges two axes and
//!    `length` names an axis of its argument;
//! 7. the root exists.
//!
//! The checker runs it on every function it produces; a failure is a bug in
//! the compiler, reported as an internal error rather than a panic. Every
//! pass that transforms a function ([`crate::rewrite`], [`crate::analysis`])
//! runs it on its result in debug builds through [`debug_verify`].

use crate::node::*;
use blaze_datashape::{Datashape, Measure, Scalar, ScalarKind};

fn scalar(ty: &Datashape) -> Option<Scalar> {
    ty.measure.element_scalar()
}

fn has_named(m: &Measure) -> bool {
    match m {
        Measure::Named { .. } => true,
        Measure::Option { inner } => has_named(inner),
        Measure::Record { fields } => fields.iter().any(|(_, f)| has_named(&f.measure)),
        Measure::Tuple { elems } => elems.iter().any(|e| has_named(&e.measure)),
        Measure::Function { params, ret } => {
            params.iter().any(|p| has_named(&p.measure)) || has_named(&ret.measure)
        }
        _ => false,
    }
}

/// Checks the invariants listed in the module documentation.
pub fn verify(f: &Function) -> Result<(), String> {
    if f.root.index() >= f.nodes.len() {
        return Err(format!("root %{} does not exist", f.root.0));
    }
    for (i, n) in f.nodes.iter().enumerate() {
        let at = |m: String| format!("%{i}: {m}");
        for a in &n.args {
            if a.index() >= i {
                return Err(at(format!("argument %{} is not an earlier node", a.0)));
            }
        }
        if has_named(&n.ty.measure) {
            return Err(at(format!("type `{}` is not expanded", n.ty)));
        }
        let arity = |k: usize| -> Result<(), String> {
            if n.args.len() == k {
                Ok(())
            } else {
                Err(at(format!("expects {k} arguments, has {}", n.args.len())))
            }
        };
        let arg = |k: usize| &f.nodes[n.args[k].index()];
        let var_ok = |v: &IndexVar| (v.0 as usize) < f.index_vars.len();
        match &n.op {
            Op::Param(p) => {
                arity(0)?;
                if *p >= f.params.len() {
                    return Err(at(format!("parameter {p} does not exist")));
                }
            }
            Op::Literal(_) | Op::Na => arity(0)?,
            Op::ArrayLiteral { shape, values } => {
                arity(0)?;
                if shape.iter().product::<usize>() != values.len() {
                    return Err(at("array literal size differs from its shape".into()));
                }
            }
            Op::Unary(_) | Op::Cast(_) | Op::Transpose(_) | Op::Reshape(_) | Op::Field(_) => {
                arity(1)?
            }
            Op::ToDecimal { precision, scale } => {
                arity(1)?;
                let m = match &n.ty.measure {
                    Measure::Option { inner } => inner.as_ref(),
                    m => m,
                };
                if *m
                    != (Measure::Decimal {
                        precision: *precision,
                        scale: *scale,
                    })
                {
                    return Err(at(format!(
                        "`cast decimal[{precision}, {scale}]` is typed `{}`",
                        n.ty
                    )));
                }
            }
            Op::Binary(b) => {
                arity(2)?;
                let (x, y) = (scalar(&arg(0).ty), scalar(&arg(1).ty));
                if x.is_some() && y.is_some() && x != y {
                    return Err(at(format!(
                        "operands of `{}` have different element types `{}` and `{}`",
                        b.name(),
                        arg(0).ty,
                        arg(1).ty
                    )));
                }
            }
            Op::Where => {
                arity(3)?;
                let (x, y) = (scalar(&arg(1).ty), scalar(&arg(2).ty));
                if x.is_some() && y.is_some() && x != y {
                    return Err(at("branches of `where` have different element types".into()));
                }
            }
            Op::FillNa => {
                arity(2)?;
                let (x, v, r) = (scalar(&arg(0).ty), scalar(&arg(1).ty), scalar(&n.ty));
                if x.is_some() && v.is_some() && x != v {
                    return Err(at(
                        "operands of `fillna` have different element types".into()
                    ));
                }
                if matches!(n.ty.measure, Measure::Option { .. }) || (x.is_some() && r != x) {
                    return Err(at(format!(
                        "`fillna` of `{}` is typed `{}`, not its plain element type",
                        arg(0).ty,
                        n.ty
                    )));
                }
            }
            Op::Reduce { axes, .. } => {
                arity(1)?;
                if let Some(axes) = axes {
                    let rank = arg(0).ty.dims.len();
                    if axes.windows(2).any(|w| w[0] >= w[1]) || axes.iter().any(|&a| a >= rank) {
                        return Err(at(format!("bad axes {axes:?} for rank {rank}")));
                    }
                }
            }
            Op::Index(items) => {
                arity(1)?;
                if items.len() != arg(0).ty.dims.len() {
                    return Err(at("basic indexing needs one item per axis".into()));
                }
                if items
                    .iter()
                    .any(|i| matches!(i, IndexItem::Range { step: 0, .. }))
                {
                    return Err(at("slice step 0".into()));
                }
            }
            Op::Select | Op::Take => {
                arity(2)?;
                let (x, i) = (&arg(0).ty, &arg(1).ty);
                if x.dims.is_empty() {
                    return Err(at(format!("selection from `{x}`, which has no axis")));
                }
                let ok = match n.op {
                    Op::Select => {
                        i.dims.len() == 1
                            && scalar(i) == Some(Scalar::Bool)
                            && n.ty.dims.len() == x.dims.len()
                    }
                    _ => {
                        scalar(i).is_some_and(|s| {
                            matches!(s.kind(), ScalarKind::Signed | ScalarKind::Unsigned)
                        }) && !matches!(i.measure, Measure::Option { .. })
                            && n.ty.dims.len() + 1 == x.dims.len() + i.dims.len()
                    }
                };
                if !ok {
                    return Err(at(format!("bad operands `{x}` and `{i}` for `{}`", n.ty)));
                }
            }
            Op::Flatten => {
                arity(1)?;
                if arg(0).ty.dims.len() < 2 || n.ty.dims.len() + 1 != arg(0).ty.dims.len() {
                    return Err(at(format!("flatten of `{}` typed `{}`", arg(0).ty, n.ty)));
                }
            }
            Op::Length(a) => {
                arity(1)?;
                if *a >= arg(0).ty.dims.len() || scalar(&n.ty) != Some(Scalar::Int64) {
                    return Err(at(format!("length along axis {a} of `{}`", arg(0).ty)));
                }
            }
            Op::Concat(_) | Op::Stack(_) | Op::MakeTuple | Op::MakeRecord(_) => {
                if let Op::MakeRecord(names) = &n.op {
                    arity(names.len())?;
                }
            }
            Op::MatMul => arity(2)?,
            Op::Call(r) => {
                if !r.arity().contains(&n.args.len()) {
                    return Err(at(format!(
                        "`call {}` takes {:?} arguments, found {}",
                        r.text(),
                        r.arity(),
                        n.args.len()
                    )));
                }
            }
            Op::Linalg(_) => {
                if n.args.is_empty() || n.args.len() > 2 {
                    return Err(at("linear algebra takes one or two arguments".into()));
                }
            }
            Op::TupleGet(k) => {
                arity(1)?;
                match &arg(0).ty.measure {
                    Measure::Tuple { elems } if *k < elems.len() => {}
                    _ => return Err(at(format!("element {k} of a non-tuple or short tuple"))),
                }
            }
            Op::Forall(vs) | Op::IndexReduce(_, vs) => {
                arity(1)?;
                if !vs.iter().all(var_ok) {
                    return Err(at("unknown index variable".into()));
                }
            }
            Op::Gather(items) => {
                arity(1)?;
                if items.len() > arg(0).ty.dims.len() {
                    return Err(at("more gather items than axes".into()));
                }
                for g in items {
                    if let GatherItem::Var(v) = g {
                        if !var_ok(v) {
                            return Err(at("unknown index variable".into()));
                        }
                    }
                }
            }
            Op::IndexValue(v) => {
                arity(0)?;
                if !var_ok(v) {
                    return Err(at("unknown index variable".into()));
                }
            }
            Op::Eps(vs) | Op::Delta(vs) => {
                arity(0)?;
                if !vs.iter().all(var_ok) {
                    return Err(at("unknown index variable".into()));
                }
            }
        }
        if let Op::Cast(s) = &n.op {
            if scalar(&n.ty) != Some(*s) {
                return Err(at(format!("cast to {s} has type `{}`", n.ty)));
            }
        }
        if let Op::Transpose(p) = &n.op {
            let rank = arg(0).ty.dims.len();
            let mut sorted = p.clone();
            sorted.sort_unstable();
            if sorted != (0..rank).collect::<Vec<_>>() {
                return Err(at(format!("{p:?} is not a permutation of {rank} axes")));
            }
        }
    }
    Ok(())
}

/// Runs [`verify`] on the result of the pass `pass` in debug builds; a
/// failure there is a bug in that pass, so it panics with the pass's name,
/// the problem and the printed function. Release builds skip the check.
#[cfg_attr(not(debug_assertions), allow(unused_variables))]
pub fn debug_verify(pass: &str, f: &Function) {
    #[cfg(debug_assertions)]
    if let Err(e) = verify(f) {
        panic!("internal error: the IR after `{pass}` does not verify: {e}\n{f}");
    }
}

#[cfg(all(test, debug_assertions))]
mod tests {
    use super::*;

    fn bad() -> Function {
        crate::parse_function(
            "def main(x: 3 * float64) {
              %0 = param 0 : 3 * float64
              %1 = binary + %0 %2 : 3 * float64
              %2 = literal 1 : float64
              return %1
            }",
        )
        .unwrap()
    }

    #[test]
    #[should_panic(expected = "the IR after `demo` does not verify: %1: argument %2")]
    fn debug_verify_names_the_pass() {
        debug_verify("demo", &bad());
    }

    #[test]
    fn debug_verify_passes_valid_ir() {
        let mut f = bad();
        f.nodes.swap(1, 2);
        f.nodes[2].args = vec![NodeId(0), NodeId(1)];
        f.root = NodeId(2);
        debug_verify("demo", &f);
    }

    #[test]
    fn fillna_needs_one_element_type_and_a_plain_result() {
        let f = |ty: &str, fill: &str| {
            crate::parse_function(&format!(
                "def main(x: 3 * ?float64) {{
                  %0 = param 0 : 3 * ?float64
                  %1 = literal 0 : {fill}
                  %2 = fillna %0 %1 : {ty}
                  return %2
                }}"
            ))
            .unwrap()
        };
        assert!(verify(&f("3 * float64", "float64")).is_ok());
        let e = verify(&f("3 * ?float64", "float64")).unwrap_err();
        assert!(e.contains("not its plain element type"), "{e}");
        let e = verify(&f("3 * float32", "float64")).unwrap_err();
        assert!(e.contains("not its plain element type"), "{e}");
        let e = verify(&f("3 * float64", "int64")).unwrap_err();
        assert!(e.contains("different element types"), "{e}");
    }
}
