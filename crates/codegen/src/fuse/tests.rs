use super::*;
use blaze_datashape::parse;

fn function(expr: &str, args: &[(&str, &str)]) -> Function {
    let types: Vec<_> = args
        .iter()
        .map(|(n, t)| (n.to_string(), parse(t).expect("datashape")))
        .collect();
    blaze_ir::compile_expression(expr, &types).expect("compiles")
}

/// Every node with a kernel form folds, as the planner does for nodes used
/// once.
fn elementwise_folds(f: &Function) -> impl Fn(NodeId) -> bool + '_ {
    |id| id != f.root && has_kernel_form(f, id)
}

#[test]
fn literals_become_constants_of_the_node_type() {
    assert_eq!(
        Const::from_literal(Scalar::UInt8, &Literal::Int(200)),
        Some(Const::UInt(200))
    );
    assert_eq!(
        Const::from_literal(Scalar::Int8, &Literal::Int(-3)),
        Some(Const::Int(-3))
    );
    assert_eq!(
        Const::from_literal(Scalar::Float32, &Literal::Float(0.5)),
        Some(Const::Float(0.5))
    );
    assert_eq!(
        Const::from_literal(Scalar::Bool, &Literal::Bool(true)),
        Some(Const::Bool(true))
    );
    assert_eq!(
        Const::from_literal(Scalar::Float64, &Literal::Complex(1.0, 2.0)),
        None
    );
}

#[test]
fn only_elementwise_operations_have_a_kernel_form() {
    assert_eq!(
        KOp::from_ir(&Op::Unary(UnaryFn::Sqrt), Scalar::Float64),
        Some(KOp::Unary(UnaryFn::Sqrt))
    );
    assert_eq!(KOp::from_ir(&Op::Where, Scalar::Int32), Some(KOp::Where));
    assert_eq!(KOp::from_ir(&Op::Unary(UnaryFn::IsNa), Scalar::Bool), None);
    assert_eq!(KOp::from_ir(&Op::Param(0), Scalar::Float64), None);
    assert_eq!(
        KOp::from_ir(&Op::Literal(Literal::Complex(0.0, 1.0)), Scalar::Float64),
        None
    );
}

#[test]
fn a_stored_group_reads_its_leaves_in_order() {
    let f = function(
        "sqrt(x) * 2.0 + y",
        &[("x", "3 * float64"), ("y", "3 * float64")],
    );
    let folds = elementwise_folds(&f);
    let g = fuse_group(&f, f.root, None, &folds).expect("fuses");
    let params: Vec<Op> = g.leaves.iter().map(|l| f.node(*l).op.clone()).collect();
    assert_eq!(params, vec![Op::Param(0), Op::Param(1)]);
    assert_eq!(
        g.spec.to_string(),
        "(float64, float64) v0=in0():float64; v1=in1():float64; v2=sqrt(v0):float64; \
         v3=Float(2.0)():float64; v4=*(v2,v3):float64; v5=+(v4,v1):float64; \
         store v5 as float64"
    );
}

#[test]
fn a_reduction_computes_its_argument() {
    let f = function("sum(x * y)", &[("x", "4 * int32"), ("y", "4 * int32")]);
    let folds = elementwise_folds(&f);
    let g = fuse_group(&f, f.root, Some(ReduceFn::Sum), &folds).expect("fuses");
    assert_eq!(g.leaves.len(), 2);
    assert_eq!(g.spec.combine, Combine::Reduce(ReduceFn::Sum));
    assert_eq!(
        g.spec.nodes[g.spec.root].op,
        KOp::Binary(blaze_ir::ops::BinaryFn::Mul)
    );
    // Nothing folds: the product is the only node computed.
    let g = fuse_group(&f, f.root, Some(ReduceFn::Sum), &|_| false).expect("fuses");
    assert_eq!(g.spec.nodes.len(), 3);
}

#[test]
fn a_reduction_of_an_operand_reads_it() {
    let f = function("sum(x)", &[("x", "4 * float64")]);
    let g = fuse_group(&f, f.root, Some(ReduceFn::Sum), &|_| false).expect("fuses");
    assert_eq!(g.leaves.len(), 1);
    assert_eq!(
        g.spec.nodes,
        vec![KNode {
            op: KOp::Input(0),
            args: vec![],
            ty: Scalar::Float64
        }]
    );
}

#[test]
fn complex_nodes_have_no_kernel_form() {
    let f = function("x + y", &[("x", "2 * complex128"), ("y", "2 * complex128")]);
    assert!(!has_kernel_form(&f, f.root));
    assert!(fuse_group(&f, f.root, None, &|_| false).is_none());
}

#[test]
fn the_builder_names_what_it_cannot_compute() {
    let f = function("sum(x) + 1.0", &[("x", "4 * float64")]);
    let mut b = SpecBuilder::new(&f, vec![Scalar::Float64]);
    b.input(NodeId(0), 0).expect("operand");
    let sum = f
        .nodes
        .iter()
        .position(|n| matches!(n.op, Op::Reduce { .. }))
        .expect("a reduction");
    let e = b
        .compute(NodeId(sum as u32))
        .expect_err("a reduction is no kernel node");
    assert_eq!(
        e.to_string(),
        format!("node %{sum} is a `reduce` operation")
    );
    let e = b.input(NodeId(0), 3).expect_err("no operand 3");
    assert!(e.to_string().contains("operand 3"), "{e}");
    let e = b
        .compute(f.root)
        .expect_err("its argument is not in the kernel");
    assert!(e.to_string().contains("not in the kernel"), "{e}");
}

#[test]
fn an_option_leaf_is_its_values_and_its_mask() {
    let f = function("x + 1.0", &[("x", "3 * ?float64")]);
    let g = fuse_group(&f, f.root, None, &elementwise_folds(&f)).expect("fuses");
    assert_eq!(g.masked, vec![true]);
    assert_eq!(g.spec.inputs, vec![Scalar::Float64, Scalar::Bool]);
    // The sum is missing where `x` is: the mask is stored beside it.
    assert_eq!(
        g.spec.to_string(),
        "(float64, bool) v0=in0():float64; v1=in1():bool; v2=Float(1.0)():float64; \
         v3=+(v0,v2):float64; store v3 as float64, missing v1"
    );
    assert_eq!(g.spec.operands(), 4);
    // The same arithmetic on plain values has no mask and another key.
    let p = function("x + 1.0", &[("x", "3 * float64")]);
    let h = fuse_group(&p, p.root, None, &elementwise_folds(&p)).expect("fuses");
    assert_eq!(h.spec.missing, None);
    assert_ne!(h.spec.to_string(), g.spec.to_string());
}

#[test]
fn na_isna_and_fillna_compute_flags() {
    let f = function(
        "fillna(where(x > 0.5, x, na), 0.0)",
        &[("x", "3 * float64")],
    );
    let g = fuse_group(&f, f.root, None, &elementwise_folds(&f)).expect("fuses");
    // A plain result from a plain operand: no mask in or out.
    assert_eq!(g.masked, vec![false]);
    assert_eq!(g.spec.missing, None);
    assert!(g.spec.nodes.iter().any(|n| n.op == KOp::Where));
    let f = function("isna(x * 2.0)", &[("x", "3 * ?float64")]);
    let g = fuse_group(&f, f.root, None, &elementwise_folds(&f)).expect("fuses");
    // isna of `x * 2` is the mask of `x`.
    assert_eq!(g.spec.root, 1);
    assert_eq!(g.spec.nodes[1].op, KOp::Input(1));
}

#[test]
fn reductions_over_options_skip_missing_values() {
    let f = function("sum(x)", &[("x", "4 * ?int32")]);
    let g = fuse_group(&f, f.root, Some(ReduceFn::Sum), &|_| false).expect("fuses");
    // Missing elements contribute 0; no count is needed.
    assert_eq!(
        g.spec.to_string(),
        "(int32, bool) v0=in0():int32; v1=in1():bool; v2=Int(0)():int32; \
         v3=where(v1,v2,v0):int32; sum v3 into int64"
    );
    assert!(g.count.is_none());
    let f = function("min(x)", &[("x", "4 * ?int32")]);
    let g = fuse_group(&f, f.root, Some(ReduceFn::Min), &|_| false).expect("fuses");
    assert_eq!(g.spec.nodes[2].op, KOp::Const(Const::Int(i32::MAX as i64)));
    let count = g.count.expect("min counts the values");
    assert_eq!(count.combine, Combine::Reduce(ReduceFn::Sum));
    assert_eq!(count.output, Scalar::Int64);
    let f = function("count(x)", &[("x", "4 * ?float32")]);
    let g = fuse_group(&f, f.root, Some(ReduceFn::Count), &|_| false).expect("fuses");
    assert_eq!(g.spec.output, Scalar::Int64);
    assert_eq!(g.spec.nodes[g.spec.root].op, KOp::Where);
}
