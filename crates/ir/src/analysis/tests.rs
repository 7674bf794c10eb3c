use super::*;
use crate::{compile_expression, parse_function, verify};
use blaze_datashape::ScalarKind;

fn compile(src: &str, args: &[(&str, &str)]) -> Function {
    let args: Vec<(String, Datashape)> = args
        .iter()
        .map(|(n, t)| (n.to_string(), blaze_datashape::parse(t).unwrap()))
        .collect();
    compile_expression(src, &args).unwrap()
}

fn ir(text: &str) -> Function {
    let f = parse_function(text).unwrap();
    verify(&f).unwrap();
    f
}

fn not_complex(s: Scalar) -> bool {
    s.kind() != ScalarKind::Complex
}

#[test]
fn uses_count_argument_slots_and_the_root() {
    let f = ir("def main(x: 3 * int32) {
          %0 = param 0 : 3 * int32
          %1 = binary * %0 %0 : 3 * int32
          %2 = literal 1 : int32
          %3 = binary + %1 %2 : 3 * int32
          return %3
        }");
    assert_eq!(uses(&f), vec![2, 1, 1, 1]);
    let c = consumer(&f);
    assert_eq!(
        c,
        vec![Some(NodeId(1)), Some(NodeId(3)), Some(NodeId(3)), None]
    );
}

#[test]
fn consumer_is_the_last_user() {
    let f = ir("def main(x: 3 * int32) {
          %0 = param 0 : 3 * int32
          %1 = neg %0 : 3 * int32
          %2 = binary + %0 %1 : 3 * int32
          return %2
        }");
    assert_eq!(consumer(&f)[0], Some(NodeId(2)));
    assert_eq!(uses(&f)[0], 2);
}

#[test]
fn index_deps_are_free_variables() {
    let f = compile(
        "forall i, j: sum(k: A[i, k] * B[k, j])",
        &[("A", "3 * 4 * float64"), ("B", "4 * 5 * float64")],
    );
    let deps = index_deps(&f);
    let names = |id: usize| -> Vec<String> {
        deps[id]
            .iter()
            .map(|v| f.index_vars[v.0 as usize].name.clone())
            .collect()
    };
    let (mut gather, mut reduce, mut forall) = (vec![], None, None);
    for (i, n) in f.nodes.iter().enumerate() {
        match n.op {
            Op::Gather(_) => gather.push(names(i)),
            Op::IndexReduce(..) => reduce = Some(names(i)),
            Op::Forall(_) => forall = Some(names(i)),
            Op::Param(_) => assert!(deps[i].is_empty()),
            _ => {}
        }
    }
    assert_eq!(gather, vec![vec!["i", "k"], vec!["j", "k"]]);
    let mut r = reduce.unwrap();
    r.sort();
    assert_eq!(r, vec!["i", "j"]);
    assert_eq!(forall.unwrap(), Vec::<String>::new());
    // Ascending (by variable number) and without repeats.
    for d in &deps {
        assert!(d.windows(2).all(|w| w[0] < w[1]), "{d:?}");
    }
}

#[test]
fn prune_drops_dead_nodes_and_keeps_parameters() {
    let f = ir("def main(x: 3 * int32, y: 3 * int32) {
          %0 = param 0 : 3 * int32
          %1 = param 1 : 3 * int32
          %2 = neg %0 : 3 * int32
          %3 = literal 2 : int32
          %4 = binary * %0 %3 : 3 * int32
          return %4
        }");
    assert_eq!(live(&f), vec![true, true, false, true, true]);
    let g = prune(f);
    verify(&g).unwrap();
    assert_eq!(g.nodes.len(), 4);
    assert_eq!(g.root, NodeId(3));
    assert_eq!(g.node(g.root).args, vec![NodeId(0), NodeId(2)]);
    assert_eq!(g.params.len(), 2);
}

#[test]
fn extract_cuts_nodes_into_parameters() {
    let f = ir("def main(x: N * float64, w: float64) {
          %0 = param 0 : N * float64
          %1 = param 1 : float64
          %2 = reduce sum axes=all %0 : float64
          %3 = binary * %2 %1 : float64
          %4 = sqrt %3 : float64
          return %4
        }");
    // The tail after the reduction: the sum becomes a parameter, `x` goes.
    let (g, sources) = extract(&f, &[NodeId(4)], &[NodeId(2)], &|p| p == 1, "partial").unwrap();
    verify(&g).unwrap();
    assert_eq!(sources, vec![ParamSource::Param(1), ParamSource::Cut(0)]);
    let names: Vec<&str> = g.params.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, vec!["w", "partial0"]);
    assert_eq!(g.nodes.len(), 4);
    assert_eq!(g.result_type().to_string(), "float64");
    // Two roots make a tuple; every parameter kept.
    let (h, sources) = extract(&f, &[NodeId(2), NodeId(3)], &[], &|_| true, "c").unwrap();
    verify(&h).unwrap();
    assert_eq!(sources, vec![ParamSource::Param(0), ParamSource::Param(1)]);
    assert_eq!(h.node(h.root).op, Op::MakeTuple);
    assert_eq!(h.result_type().to_string(), "(float64, float64)");
    // A needed parameter that is dropped is named.
    let e = extract(&f, &[NodeId(4)], &[], &|p| p == 1, "c").unwrap_err();
    assert!(e.contains("parameter `x`"), "{e}");
    let e = extract(&f, &[NodeId(9)], &[], &|_| true, "c").unwrap_err();
    assert!(e.contains("%9"), "{e}");
}

#[test]
fn elementwise_classification() {
    let f = ir(
        "def main(x: 3 * float64, z: 3 * complex[float64], m: 3 * ?float64) {
          %0 = param 0 : 3 * float64
          %1 = param 1 : 3 * complex[float64]
          %2 = param 2 : 3 * ?float64
          %3 = literal 2 : float64
          %4 = binary * %0 %3 : 3 * float64
          %5 = sqrt %4 : 3 * float64
          %6 = binary * %1 %1 : 3 * complex[float64]
          %7 = isna %2 : 3 * bool
          %8 = binary + %2 %2 : 3 * ?float64
          %9 = reduce sum axes=all %0 : float64
          %10 = cast float32 %0 : 3 * float32
          %11 = literal (1+2j) : complex[float64]
          return %5
        }",
    );
    let e: Vec<bool> = (0..f.nodes.len())
        .map(|i| is_elementwise(&f, NodeId(i as u32), not_complex))
        .collect();
    assert_eq!(
        e,
        vec![false, false, false, true, true, true, false, false, false, false, true, false]
    );
    // Complex arithmetic is elementwise when the kernel compiles complex.
    assert!(is_elementwise(&f, NodeId(6), |_| true));
    // Positionwise ignores types and admits is_na and fields.
    assert!(is_positionwise(&f.node(NodeId(7)).op));
    assert!(is_positionwise(&f.node(NodeId(8)).op));
    assert!(is_positionwise(&Op::Field("a".into())));
    assert!(!is_positionwise(&f.node(NodeId(9)).op));
    assert!(!is_positionwise(&Op::MatMul));
}

#[test]
fn elementwise_over_options_admits_missing_values() {
    let f = ir("def main(m: 3 * ?float64, z: 3 * ?complex[float64]) {
          %0 = param 0 : 3 * ?float64
          %1 = param 1 : 3 * ?complex[float64]
          %2 = na : null
          %3 = binary + %0 %2 : 3 * ?float64
          %4 = isna %3 : 3 * bool
          %5 = literal 0.0 : float64
          %6 = fillna %3 %5 : 3 * float64
          %7 = binary * %1 %1 : 3 * ?complex[float64]
          %8 = reduce sum axes=all %0 : float64
          %9 = cast float32 %0 : 3 * ?float32
          return %6
        }");
    let e: Vec<bool> = (0..f.nodes.len())
        .map(|i| is_elementwise_over_options(&f, NodeId(i as u32), not_complex))
        .collect();
    assert_eq!(
        e,
        vec![false, false, true, true, true, true, true, false, false, true]
    );
    // The plain classification is unchanged: options are not plain.
    assert!(!is_elementwise(&f, NodeId(3), not_complex));
    assert!(!is_elementwise(&f, NodeId(4), not_complex));
}

/// `src` over `x: 2 * 3 * 4 * 5 * float64` (and `y` of type `y`) with
/// `x`'s first two axes merged into `R`.
fn merged(src: &str, y: &str) -> Option<Function> {
    let f = compile(src, &[("x", "2 * 3 * 4 * 5 * float64"), ("y", y)]);
    let m = merge_leading_axes(&f, 0, 2, Dim::TypeVar("R".into()))?;
    verify(&m).unwrap();
    assert_eq!(m.result_type(), f.result_type(), "{src}");
    assert_eq!(m.params[0].1.to_string(), "R * 4 * 5 * float64");
    Some(m)
}

fn reduce_axes(f: &Function) -> Vec<Option<Vec<usize>>> {
    f.nodes
        .iter()
        .filter_map(|n| match &n.op {
            Op::Reduce { axes, .. } => Some(axes.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn reductions_over_the_merged_axes_together_become_one_axis() {
    let m = merged("mean(x, axis=(0, 1))", "float64").unwrap();
    assert_eq!(reduce_axes(&m), [Some(vec![0])]);
    let m = merged("sum(sqrt(x * x + y), axis=(0, 1, 3))", "5 * float64").unwrap();
    assert_eq!(reduce_axes(&m), [Some(vec![0, 2])]);
    let m = merged("max(x)", "float64").unwrap();
    assert_eq!(reduce_axes(&m), [None]);
    // Reductions over the other axes first keep the merged axes.
    let m = merged("sum(sum(x, axis=3), axis=(0, 1))", "float64").unwrap();
    assert_eq!(reduce_axes(&m), [Some(vec![2]), Some(vec![0])]);
    let m = merged("mean(x[..., 1], axis=(0, 1))", "float64").unwrap();
    assert_eq!(reduce_axes(&m), [Some(vec![0])]);
}

#[test]
fn programs_that_tell_the_axes_apart_are_left_alone() {
    for (src, y) in [
        // One merged axis reduced without the other.
        ("mean(x, axis=0)", "float64"),
        ("sum(x, axis=(1, 2))", "float64"),
        // The result keeps the merged axes.
        ("x * 2", "float64"),
        ("sum(x, axis=3)", "float64"),
        // An operand broadcast over a merged axis.
        ("sum(x + y)", "3 * 4 * 5 * float64"),
        // Indexing that picks within a merged axis.
        ("sum(x[0])", "float64"),
        ("sum(x[:, ::2])", "float64"),
        ("sum(transpose(x))", "float64"),
        ("sum(x, axis=(0, 1), keepdims=true)", "float64"),
    ] {
        assert!(merged(src, y).is_none(), "{src}");
    }
    let f = compile("sum(x)", &[("x", "4 * float64")]);
    assert!(merge_leading_axes(&f, 0, 2, Dim::Var(None)).is_none());
}
