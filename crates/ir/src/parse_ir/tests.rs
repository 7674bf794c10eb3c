use super::*;
use crate::ops::ReduceFn;
use crate::{compile_expression, compile_module, verify};
use blaze_datashape::{parse, Dim};
use proptest::prelude::*;

/// `f` replaced by a function whose float literals are their bits, so
/// that `==` compares floats (NaN included) bit for bit.
fn bitwise(f: &Function) -> Function {
    let key = |l: &Literal| match l {
        Literal::Float(x) => Literal::Complex(f64::from_bits(0), x.to_bits() as f64),
        Literal::Complex(r, i) => Literal::Int(((r.to_bits() as i128) << 64) | i.to_bits() as i128),
        other => other.clone(),
    };
    let mut g = f.clone();
    for n in &mut g.nodes {
        match &mut n.op {
            Op::Literal(l) => *l = key(l),
            Op::ArrayLiteral { values, .. } => values.iter_mut().for_each(|l| *l = key(l)),
            _ => {}
        }
    }
    g
}

/// Print, parse back, compare exactly, print again.
fn round_trip(f: &Function) {
    let text = f.to_string();
    let g = match parse_function(&text) {
        Ok(g) => g,
        Err(e) => panic!("{e}\n{text}"),
    };
    assert_eq!(bitwise(&g), bitwise(f), "\n{text}");
    assert_eq!(g.to_string(), text);
}

fn args(list: &[(&str, &str)]) -> Vec<(String, Datashape)> {
    list.iter()
        .map(|(n, t)| (n.to_string(), parse(t).unwrap()))
        .collect()
}

/// Every checked function round-trips exactly and still verifies.
fn checked(f: &Function) {
    round_trip(f);
    let g = parse_function(&f.to_string()).unwrap();
    assert_eq!(g, *f);
    verify(&g).unwrap_or_else(|e| panic!("{e}\n{g}"));
}

const ARGS: &[(&str, &str)] = &[
    ("x", "3 * int32"),
    ("y", "3 * float32"),
    ("s", "float64"),
    ("i8", "int8"),
    ("u", "7 * uint16"),
    ("z", "3 * complex128"),
    ("o", "3 * ?int32"),
    ("p", "3 * bool"),
    ("A", "N * N * float64"),
    ("B", "N * K * float64"),
    ("Z", "N * N * complex128"),
    ("R", "M * N * float64"),
    ("m", "M * float64"),
    ("b", "N * float64"),
    ("v", "10 * int32"),
    ("X", "2 * 3 * 4 * float64"),
    ("S", "N * N * float32"),
    ("r", "{x: float32, y: float32}"),
    ("q", "4 * {pos: 3 * float64, 'the mass': float32}"),
    ("t", "(int8, 3 * float64)"),
    ("g", "N * var * float64"),
    ("k", "int64"),
    ("a2", "3 * 4 * float64"),
    ("c2", "4 * 1 * float64"),
    ("d2", "3 * 2 * float64"),
    ("st", "3 * ?string"),
    ("de", "3 * decimal[10, 2]"),
    ("da", "3 * datetime"),
];

const EXPRESSIONS: &[&str] = &[
    // strings, decimals, dates
    "(st == 'GOOG') and startswith(upper(st) + \"x\", st)",
    "len(fillna(st, ''))",
    "(de * x + 1, de / 2, cast(x, decimal[12, 3]), sum(de), max(st), de < 3)",
    "(year(da), da - da < da - da)",
    // literals
    "1",
    "-7",
    "9223372036854775807",
    "-9223372036854775807",
    "1.5",
    "1e-3",
    "1e300 * 1e300",
    "0.1 + 0.2",
    "2j",
    "(1.5 + 2.5j) * z",
    "1e-310j + 3",
    "true",
    "false",
    "na",
    "1 + na",
    "na + na",
    "[1, 2, 3]",
    "[1.5, -2, 3e100]",
    "[[1, 2], [3, 4], [5, 6]]",
    "[true, false]",
    "[1j, 2, 3.5]",
    "x + na",
    "where(x > 0, x, na)",
    // elementwise
    "2 + x",
    "x - x",
    "x * 2.5",
    "x / x",
    "x // x",
    "x % x",
    "x ** 2",
    "-x",
    "+x",
    "not p",
    "p and x > 0",
    "p or p",
    "x == x",
    "x != x",
    "x < x",
    "x <= x",
    "x > x",
    "x >= x",
    "minimum(x, y)",
    "maximum(x, 1.5)",
    "arctan2(y, y)",
    "pow(x, 2)",
    "abs(z)",
    "sqrt(x)",
    "exp(y) + log(y) + log2(y) + log10(y)",
    "sin(y) + cos(y) + tan(y) + arcsin(y) + arccos(y) + arctan(y)",
    "sinh(y) + cosh(y) + tanh(y)",
    "floor(y) + ceil(y) + round(y) + sign(y)",
    "isnan(y)",
    "isna(o)",
    "fillna(o, 0)",
    "fillna(o, y)",
    "where(isna(o), 0, o)",
    "mean(o)",
    "where(x > 0, x, 0)",
    "cast(x, float32)",
    "cast(x, complex[float32])",
    "cast(1, float32)",
    "cast(o, float64)",
    "i8 + 1000",
    "u + 1",
    "1j * y",
    // reductions
    "sum(x)",
    "sum(X, axis=0)",
    "sum(X, axis=(-1, 0))",
    "sum(X, axis=1, keepdims=true)",
    "sum(X, keepdims=true)",
    "X.max(axis=(0, 1), keepdims=true)",
    "prod(X, axis=0) + min(X, axis=0) + max(X, axis=0)",
    "mean(X) + var(X) + std(X)",
    "any(X > 0) or all(X > 0, axis=(0, 1, 2))",
    "argmin(X) + argmax(X, axis=-1)",
    "count(o) + count(X, axis=0)",
    "mean(z)",
    // indexing
    "v[0]",
    "v[-1]",
    "v[2:7]",
    "v[::-1]",
    "v[7:2:-1]",
    "v[::-3]",
    "v[1::3]",
    "v[:-3]",
    "v[:]",
    "v[-100:100]",
    "X[..., 0]",
    "X[1, ..., 2]",
    "X[1:, ::2, 0]",
    "X[0, 0, 0]",
    "X[...]",
    // shape
    "X.T",
    "transpose(X, (1, 0, 2))",
    "transpose(X, (-1, 0, 1))",
    "reshape(X, (4, -1))",
    "reshape(v, (2, 1, 5))",
    "reshape(X, (24,))",
    "concat((a2, a2))",
    "concat((a2, d2), axis=-1)",
    "stack((v, v))",
    "stack((a2, a2), axis=2)",
    "A @ B",
    "A @ b",
    "b @ b",
    "dot(A, B)",
    "matmul(A, B)",
    // linear algebra
    "inv(A)",
    "solve(A, B)",
    "solve(A, b)",
    "det(A)",
    "det(Z)",
    "cholesky(A)",
    "qr(A)",
    "qr(A)[0]",
    "qr(A)[1]",
    "svd(A)",
    "svd(A)[1]",
    "svd(Z)",
    "eig(A)",
    "eig(A)[1]",
    "eigh(A)",
    "eigh(Z)[0]",
    "lstsq(R, m)",
    "lstsq(R, R)",
    "norm(A) + norm(b) + norm(Z)",
    "trace(A)",
    // records and tuples
    "r.x * r.y",
    "q.pos",
    "{a: x, b: y}",
    "{a: x, b: 1}.b",
    "{'a b': x, 'it\\'s': y, '': s, 'line\\nbreak': 1}",
    "{s: sum(x), m: mean(y)}",
    "(x, y)",
    "(x,)",
    "(x, (y, s))",
    "(x, y)[1]",
    "t",
    // ragged axes, selection and gather
    "sum(g, axis=1)",
    "min(g, axis=1)",
    "g[:, 0]",
    "len(g, axis=1)",
    "flatten(g)",
    "b[b > 0]",
    "q[q.pos[:, 0] > 0]",
    "v[x]",
    "A[k]",
    // index notation
    "forall i, j: sum(k: A[i, k] * B[k, j])",
    "forall i: sum(j, k: eps[i, j, k] * x[j] * y[k])",
    "forall i, j, k: eps[i, j, k]",
    "forall i, j: S[i, j] + delta[i, j]",
    "sum(i, j: delta[i, j] * S[i, j])",
    "forall i: A[i, 0]",
    "forall i: A[i, -1] + A[0, i]",
    "forall i: A[i]",
    "forall j, i: A[i, j]",
    "forall i: v[i] + i",
    "sum(i: v[i])",
    "prod(i: v[i])",
    "max(i: v[i]) + min(i: v[i])",
    "sum(i: S[i, i])",
    "forall i: sum(j: A[i, j] * b[i])",
    "forall 'my i': v['my i']",
    // let
    "let y = x * 2 in y + 1",
    "let mu = mean(X, axis=0) in X - mu",
    "let a = 1 in let b = 2.5 in a + b",
    "let s = sum(x) in x + s + s",
];

#[test]
fn expressions_round_trip() {
    let env = args(ARGS);
    let mut ok = 0;
    for src in EXPRESSIONS {
        match compile_expression(src, &env) {
            Ok(f) => {
                checked(&f);
                ok += 1;
            }
            Err(e) => {
                // Names the DSL cannot express are covered by hand below.
                assert!(src.contains("'my i'"), "`{src}` does not check: {e:?}");
            }
        }
    }
    assert!(ok >= EXPRESSIONS.len() - 1, "{ok} of {}", EXPRESSIONS.len());
}

#[test]
fn every_op_kind_is_covered() {
    let env = args(ARGS);
    let mut seen = std::collections::BTreeSet::new();
    for src in EXPRESSIONS {
        if let Ok(f) = compile_expression(src, &env) {
            for n in &f.nodes {
                let op = format!("{:?}", n.op);
                let kind = op.split(['(', ' ']).next().unwrap_or("").to_string();
                seen.insert(kind);
            }
        }
    }
    for kind in [
        "Param",
        "Literal",
        "ArrayLiteral",
        "Na",
        "Unary",
        "Binary",
        "Where",
        "FillNa",
        "Cast",
        "ToDecimal",
        "Reduce",
        "Index",
        "Transpose",
        "Reshape",
        "Concat",
        "Stack",
        "MatMul",
        "Linalg",
        "Select",
        "Take",
        "Flatten",
        "Length",
        "Field",
        "MakeRecord",
        "MakeTuple",
        "TupleGet",
        "Forall",
        "IndexReduce",
        "Gather",
        "IndexValue",
        "Eps",
        "Delta",
    ] {
        assert!(
            seen.contains(kind),
            "no expression produces {kind}: {seen:?}"
        );
    }
}

const MODULE: &str = "
    def axpy(a: float64, x: N * float64, y: N * float64) = a * x + y
    def gram(A: N * M * float64) -> M * M * float64 = A.T @ A
    def norms(X: N * 3 * float64) = sqrt(sum(X * X, axis=1))
    def center(X: N * M * float64) =
        let mu = mean(X, axis=0) in
        X - mu
    def cross(a: 3 * float64, b: 3 * float64) = forall i: sum(j, k: eps[i, j, k] * a[j] * b[k])
    def mm(A: N * K * float64, B: K * M * float64) = forall i, j: sum(k: A[i, k] * B[k, j])
    def spectrum(X: N * N * float64) = eig(X + X.T)
    type Stock = {name: string, open: decimal[18, 4], close: decimal[18, 4], max: int64, min: int64}
    def prices(p: N * Stock) -> N * float64 = (p.max + p.min) / 2
    def stats(x: N * float64) = (mean(x), std(x))
    def weird(r: {'a b': int32, c: (int8, float32)}, t: (int8,), u: ()) = r
    def nothing() = 1.5
";

#[test]
fn modules_round_trip() {
    let p = compile_module(MODULE).unwrap();
    assert_eq!(p.functions.len(), 11);
    for f in &p.functions {
        let text = f.to_string();
        let g = parse_function_with(&text, &p.types).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(g, *f, "\n{text}");
        verify(&g).unwrap();
        if f.name == "prices" {
            // The header names `Stock`, which needs its definition:
            // without it, `Stock` reads as a type variable.
            let g = parse_function(&text).unwrap();
            assert_eq!(g.params[0].1, parse("N * Stock").unwrap());
            assert_ne!(g, *f);
            let def = p.types.defs().next().unwrap().to_string();
            assert_eq!(parse_function(&format!("{def}\n\n{text}")).as_ref(), Ok(f));
        } else {
            checked(f);
        }
    }
    let text = p.to_string();
    assert!(text.starts_with("type Stock = {"), "{text}");
    assert_eq!(parse_program(&text), Ok(p.functions.clone()));
    // Extra blank lines anywhere between functions.
    let spaced = format!("\n{}\n\n", text.replace("\n\n", "\n\n\n  \n"));
    assert_eq!(parse_program(&spaced), Ok(p.functions.clone()));
    assert_eq!(parse_program(""), Ok(vec![]));
    assert_eq!(parse_program("\n \n"), Ok(vec![]));
    assert!(parse_function(&text).is_err());
}

/// Found by fuzzing: a module of one parametric type definition (its
/// parameters named like keywords, separated by carriage returns) prints
/// and reads back.
#[test]
fn a_module_of_type_definitions_round_trips() {
    let p = compile_module("type\rf\raf\ras\rt=t").unwrap();
    assert!(p.functions.is_empty());
    let text = p.to_string();
    assert_eq!(text, "type f af as t = t\n");
    assert_eq!(parse_program(&text), Ok(vec![]));
}

#[test]
fn printed_form_example() {
    let p = compile_module("def gram(A: N * M * float64) = A.T @ A").unwrap();
    let f = &p.functions[0];
    let text = "\
def gram(A: N * M * float64) {
  %0 = param 0 : N * M * float64 @9..10
  %1 = transpose [1, 0] %0 : M * N * float64 @31..34
  %2 = matmul %1 %0 : M * M * float64 @31..38
  return %2
}";
    assert_eq!(f.to_string(), text);
    assert_eq!(parse_function(text).as_ref(), Ok(f));
    // Extra spaces and a CRLF file read the same.
    let loose = "def  gram ( A : N * M * float64 )  {\r\n\t%0 =param 0:N * M * float64 @9..10\r\n  %1 = transpose[1,0]%0 : M * N * float64   @31..34\r\n  %2 = matmul %1 %0 : M * M * float64 @31..38\r\n  return %2\r\n}\r\n";
    assert_eq!(parse_function(loose).as_ref(), Ok(f));
}

fn node(op: Op, args: Vec<u32>, ty: &str) -> Node {
    Node {
        op,
        args: args.into_iter().map(NodeId).collect(),
        ty: parse(ty).unwrap(),
        weak: false,
        span: Span::default(),
    }
}

fn function(nodes: Vec<Node>) -> Function {
    Function {
        name: "f".into(),
        params: vec![],
        root: NodeId(nodes.len().saturating_sub(1) as u32),
        nodes,
        index_vars: vec![],
    }
}

#[test]
fn float_literals_are_exact() {
    let values = [
        0.0,
        -0.0,
        1.0,
        -1.5,
        0.1,
        1.0 / 3.0,
        1e-7,
        1e16,
        1e17,
        -2.5e-300,
        f64::MAX,
        f64::MIN,
        f64::MIN_POSITIVE,
        5e-324,
        f64::EPSILON,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        -f64::NAN,
        f64::from_bits(0x7ff0_0000_0000_0001),
        f64::from_bits(0xfff8_0000_dead_beef),
    ];
    let mut nodes = Vec::new();
    for &x in &values {
        nodes.push(node(Op::Literal(Literal::Float(x)), vec![], "float64"));
        for &y in &[0.0, -0.0, 2.0, -1e-9, f64::INFINITY, f64::NAN, -f64::NAN] {
            nodes.push(node(
                Op::Literal(Literal::Complex(x, y)),
                vec![],
                "complex[float64]",
            ));
            nodes.push(node(
                Op::Literal(Literal::Complex(y, x)),
                vec![],
                "complex[float64]",
            ));
        }
    }
    let values: Vec<Literal> = values.iter().map(|&x| Literal::Float(x)).collect();
    nodes.push(node(
        Op::ArrayLiteral {
            shape: vec![values.len()],
            values,
        },
        vec![],
        "21 * float64",
    ));
    round_trip(&function(nodes));
    assert_eq!(Literal::Float(f64::NAN).to_string(), "NaN");
    assert_eq!(
        Literal::Float(-f64::NAN).to_string(),
        "NaN(0xfff8000000000000)"
    );
    assert_eq!(Literal::Complex(f64::NAN, -0.0).to_string(), "(NaN-0.0j)");
    assert_eq!(
        Literal::Complex(f64::NEG_INFINITY, f64::NAN).to_string(),
        "(-inf+NaNj)"
    );
}

#[test]
fn int_and_bool_literals_are_exact() {
    let mut nodes = Vec::new();
    for i in [
        0,
        1,
        -1,
        i64::MIN as i128,
        u64::MAX as i128,
        i128::MAX,
        i128::MIN,
    ] {
        nodes.push(node(Op::Literal(Literal::Int(i)), vec![], "int64"));
    }
    nodes.push(node(Op::Literal(Literal::Bool(true)), vec![], "bool"));
    nodes.push(node(
        Op::ArrayLiteral {
            shape: vec![2, 2],
            values: vec![
                Literal::Bool(false),
                Literal::Int(i128::MIN),
                Literal::Float(2.0),
                Literal::Complex(1.0, -1.0),
            ],
        },
        vec![],
        "2 * 2 * complex[float64]",
    ));
    nodes.push(node(
        Op::ArrayLiteral {
            shape: vec![0, 3],
            values: vec![],
        },
        vec![],
        "0 * 3 * int64",
    ));
    round_trip(&function(nodes));
}

#[test]
fn string_literals_are_exact() {
    let texts = [
        "",
        "GOOG",
        "it's",
        "say \"hi\"",
        "back\\slash",
        "a\nb\tc\r",
        "\u{1}\u{7f}",
        "é 😀 名",
        "@1..2 : int8",
        "%3",
    ];
    let nodes: Vec<Node> = texts
        .iter()
        .map(|t| node(Op::Literal(Literal::Str(t.to_string())), vec![], "string"))
        .collect();
    round_trip(&function(nodes));
    assert_eq!(Literal::Str("it's".into()).to_string(), "'it\\'s'");
    let a = args(&[
        ("s", "3 * ?string"),
        ("d", "3 * decimal[10, 2]"),
        ("i", "3 * int32"),
    ]);
    for src in [
        "'x\\ty'",
        "(s == \"GOOG\") and startswith(upper(s) + 'x\\ty', s)",
        "where(isna(s), 'é', lower(s))",
        "(d * 2 + i, cast(i, decimal[12, 3]), sum(d), d / 2, fillna(where(i > 0, d, na), 0))",
    ] {
        checked(&compile_expression(src, &a).unwrap());
    }
}

#[test]
fn odd_names_are_quoted() {
    let names = [
        "",
        "a b",
        "it's",
        "back\\slash",
        "new\nline",
        "tab\tand\rcr",
        "bell\u{7}",
        "é",
        "1st",
        "%0",
        "#",
        "x#1",
        "?0",
        "def",
        "index",
        "weak",
        "all",
        "@0..1",
        "'",
        ") {",
    ];
    for name in names {
        let q = parse(&format!("{{{}: int32}}", crate::print::name_text(name))).unwrap();
        let f = Function {
            name: name.into(),
            params: vec![(name.into(), q.clone())],
            nodes: vec![
                node(Op::Param(0), vec![], &q.to_string()),
                node(Op::Field(name.into()), vec![0], "int32"),
                node(
                    Op::MakeRecord(vec![name.into(), "b".into()]),
                    vec![1, 1],
                    "int32",
                ),
                node(Op::IndexValue(IndexVar(0)), vec![], "int64"),
                node(
                    Op::Gather(vec![GatherItem::Var(IndexVar(0)), GatherItem::At(-2)]),
                    vec![0],
                    "int32",
                ),
            ],
            root: NodeId(1),
            index_vars: vec![IndexInfo {
                name: name.into(),
                extent: Dim::Fixed(3),
            }],
        };
        round_trip(&f);
    }
}

#[test]
fn every_op_shape_by_hand() {
    let nodes = vec![
        node(Op::Param(0), vec![], "3 * 4 * float64"),
        node(Op::Na, vec![], "null"),
        node(
            Op::Reduce {
                f: ReduceFn::Count,
                axes: Some(vec![]),
                keepdims: true,
            },
            vec![0],
            "3 * 4 * int64",
        ),
        node(
            Op::Reduce {
                f: ReduceFn::All,
                axes: None,
                keepdims: false,
            },
            vec![0],
            "bool",
        ),
        node(Op::Index(vec![]), vec![1], "null"),
        node(
            Op::Index(vec![
                IndexItem::Range {
                    start: None,
                    stop: Some(-1),
                    step: -2,
                },
                IndexItem::Range {
                    start: Some(i64::MIN),
                    stop: Some(i64::MAX),
                    step: 1,
                },
                IndexItem::At(-7),
            ]),
            vec![0],
            "var * 4 * float64",
        ),
        node(Op::Transpose(vec![]), vec![1], "null"),
        node(Op::Reshape(vec![-1, 0, i64::MIN]), vec![0], "12 * float64"),
        node(Op::Concat(0), vec![], "int8"),
        node(Op::Stack(7), vec![0, 0, 0], "3 * 3 * 4 * float64"),
        node(Op::MakeTuple, vec![], "()"),
        node(Op::MakeTuple, vec![0], "(3 * 4 * float64,)"),
        node(Op::TupleGet(0), vec![11], "3 * 4 * float64"),
        node(Op::MakeRecord(vec![]), vec![], "{}"),
        node(Op::Forall(vec![]), vec![0], "int8"),
        node(
            Op::IndexReduce(ReduceFn::Prod, vec![IndexVar(1), IndexVar(0)]),
            vec![0],
            "int8",
        ),
        node(Op::Eps(vec![]), vec![], "int64"),
        node(Op::Delta(vec![IndexVar(2), IndexVar(9)]), vec![], "int64"),
        node(
            Op::Gather(vec![GatherItem::Var(IndexVar(5))]),
            vec![0],
            "int8",
        ),
        node(Op::IndexValue(IndexVar(u32::MAX)), vec![99], "int64"),
        node(Op::Cast(Scalar::Complex64), vec![0], "complex[float32]"),
        node(Op::Where, vec![3, 0, 0], "3 * 4 * float64"),
        node(Op::Linalg(LinalgFn::Lstsq), vec![0, 0], "4 * 4 * float64"),
        node(
            Op::Call(Routine::Gemm {
                trans_a: true,
                trans_b: false,
            }),
            vec![0, 0, 2, 2, 0],
            "4 * 4 * float64",
        ),
        node(
            Op::Call(Routine::Gemv { trans: false }),
            vec![0, 0, 2],
            "4 * float64",
        ),
        node(Op::Call(Routine::Dot), vec![0, 0], "float64"),
        node(
            Op::Call(Routine::Syrk { trans: true }),
            vec![0, 2],
            "4 * 4 * float64",
        ),
        node(
            Op::Call(Routine::Trsm { lower: false }),
            vec![0, 0],
            "4 * 4 * float64",
        ),
        node(
            Op::Call(Routine::SymEig),
            vec![0],
            "(4 * complex, 4 * 4 * complex)",
        ),
        node(Op::Unary(UnaryFn::IsNa), vec![1], "bool"),
        node(
            Op::Binary(BinaryFn::FloorDiv),
            vec![0, 0],
            "3 * 4 * float64",
        ),
        node(Op::Param(12), vec![], "Dims... * T"),
        node(
            Op::Literal(Literal::Int(1)),
            vec![],
            "datetime[tz='Europe/Paris']",
        ),
        node(
            Op::Literal(Literal::Int(1)),
            vec![],
            "var[10] * ?string['ascii']",
        ),
        node(
            Op::Literal(Literal::Int(1)),
            vec![],
            "... * (int8, float64) -> bool",
        ),
    ];
    let mut f = function(nodes);
    f.params = vec![("x".into(), parse("3 * 4 * float64").unwrap())];
    f.root = NodeId(1000);
    f.index_vars = vec![
        IndexInfo {
            name: "i".into(),
            extent: Dim::Var(None),
        },
        IndexInfo {
            name: "j".into(),
            extent: Dim::TypeVar("N".into()),
        },
        IndexInfo {
            name: "k".into(),
            extent: Dim::Var(Some(7)),
        },
    ];
    for (k, n) in f.nodes.iter_mut().enumerate() {
        n.weak = k % 3 == 0;
        n.span = match k % 4 {
            0 => Span::default(),
            1 => Span::new(0, 5),
            2 => Span::new(7, 7),
            _ => Span::new(usize::MAX, 1),
        };
    }
    round_trip(&f);
    let text = f.to_string();
    assert!(
        text.contains("%9 = stack axis=7 %0 %0 %0 : 3 * 3 * 4 * float64 weak @0..5"),
        "{text}"
    );
    assert!(text.contains("delta [k#2, ?9]"), "{text}");
    assert!(
        text.contains("index [:-1:-2, -9223372036854775808:9223372036854775807:1, -7]"),
        "{text}"
    );
    assert!(text.contains("reduce all axes=all %0"), "{text}");
    assert!(text.contains("reduce count axes=[] keepdims %0"), "{text}");
}

/// A malformed text and the line its error is on.
const ERRORS: &[(&str, usize)] = &[
    ("", 1),
    ("\n\n", 3),
    ("def f() {", 1),
    ("def f() {\n  return %0", 2),
    ("def f() {\n  return %0\n}\n}", 4),
    ("fn f() {\n  return %0\n}", 1),
    ("def f(x: 3 *) {\n  return %0\n}", 1),
    ("def f(x int32) {\n  return %0\n}", 1),
    ("def f(x: int32 {\n  return %0\n}", 1),
    ("def f(x: int32)\n  return %0\n}", 1),
    ("def 'f() {\n  return %0\n}", 1),
    ("def f() {\n  %1 = na : null\n  return %0\n}", 2),
    ("def f() {\n  %0 = na : null\n  %0 = na : null\n  return %0\n}", 3),
    ("def f() {\n  %0 = na\n  return %0\n}", 2),
    ("def f() {\n  %0 = na :\n  return %0\n}", 2),
    ("def f() {\n  %0 = na : nullx\n  return %0\n}", 2),
    ("def f() {\n  %0 = frob : null\n  return %0\n}", 2),
    ("def f() {\n  %0 = : null\n  return %0\n}", 2),
    ("def f() {\n  %0 = literal : int64\n  return %0\n}", 2),
    ("def f() {\n  %0 = literal 1.2.3 : float64\n  return %0\n}", 2),
    ("def f() {\n  %0 = literal 1e999999999999999999999 : float64\n  return %0\n}", 2),
    ("def f() {\n  %0 = literal 999999999999999999999999999999999999999999 : int64\n  return %0\n}", 2),
    ("def f() {\n  %0 = literal (1.0 2.0j) : complex[float64]\n  return %0\n}", 2),
    ("def f() {\n  %0 = literal (1.0+2.0j : complex[float64]\n  return %0\n}", 2),
    ("def f() {\n  %0 = literal NaN(0x1) : float64\n  return %0\n}", 2),
    ("def f() {\n  %0 = literal NaN(0xzz) : float64\n  return %0\n}", 2),
    ("def f() {\n  %0 = param -1 : int8\n  return %0\n}", 2),
    ("def f() {\n  %0 = param 99999999999999999999999 : int8\n  return %0\n}", 2),
    ("def f() {\n  %0 = binary +- %0 %0 : int8\n  return %0\n}", 2),
    ("def f() {\n  %0 = cast int : int8\n  return %0\n}", 2),
    ("def f() {\n  %0 = reduce sum %0 : int8\n  return %0\n}", 2),
    ("def f() {\n  %0 = reduce total axes=all %0 : int8\n  return %0\n}", 2),
    ("def f() {\n  %0 = reduce sum axes=[0, %0 : int8\n  return %0\n}", 2),
    ("def f() {\n  %0 = index [1:2] %0 : int8\n  return %0\n}", 2),
    ("def f() {\n  %0 = index [x] %0 : int8\n  return %0\n}", 2),
    ("def f() {\n  %0 = concat 0 %0 : int8\n  return %0\n}", 2),
    ("def f() {\n  %0 = linalg frob %0 : int8\n  return %0\n}", 2),
    ("def f() {\n  %0 = field 'a\\q' %0 : int8\n  return %0\n}", 2),
    ("def f() {\n  %0 = field 'a\\u{110000}' %0 : int8\n  return %0\n}", 2),
    ("def f() {\n  %0 = field 'a %0 : int8\n  return %0\n}", 2),
    ("def f() {\n  %0 = record [a b] : {}\n  return %0\n}", 2),
    ("def f() {\n  %0 = forall [i#0] %0 : int8\n  return %0\n}", 2),
    ("def f() {\n  index i#0 in 0..3\n  %0 = forall [j#0] %0 : int8\n  return %0\n}", 3),
    ("def f() {\n  index i#1 in 0..3\n  return %0\n}", 2),
    ("def f() {\n  index i#0 in 1..3\n  return %0\n}", 2),
    ("def f() {\n  index i#0 in 0..3 * 4\n  return %0\n}", 2),
    ("def f() {\n  index i#0 in 0..int8\n  return %0\n}", 2),
    ("def f() {\n  index i#0 of 0..3\n  return %0\n}", 2),
    ("def f() {\n  %0 = na : null\n  index i#0 in 0..3\n  return %0\n}", 3),
    ("def f() {\n  return 0\n}", 2),
    ("def f() {\n  return %0 %1\n}", 2),
    ("def f() {\n  return %0\n  %0 = na : null\n}", 3),
    ("def f() {\n  %0 = na junk : null\n  return %0\n}", 2),
    ("def f() {\n  %0 = na : null weak weak\n  return %0\n}", 2),
    ("def f() {\n  %0 = na : null @1..\n  return %0\n}", 2),
    ("def f() {\n  %0 = na : null @99999999999999999999999..1\n  return %0\n}", 2),
];

#[test]
fn errors_have_line_numbers() {
    for (text, line) in ERRORS {
        match parse_function(text) {
            Ok(f) => panic!("`{text}` parsed as\n{f}"),
            Err(e) => {
                assert_eq!(e.line, *line, "`{text}`: {e}");
                assert!(!e.message.is_empty());
                assert!(e.to_string().starts_with(&format!("line {line}: ")));
            }
        }
    }
    let two = "def f() {\n  %0 = na : null\n  return %0\n}\n\ndef g() {\n  %0 = na : bad\n  return %0\n}\n";
    assert_eq!(parse_program(two).unwrap_err().line, 7);
    assert_eq!(parse_function(two).unwrap_err().line, 6);
}

/// Printed forms of a few checked functions, to corrupt.
fn samples() -> Vec<String> {
    let env = args(ARGS);
    [
        "forall i: sum(j, k: eps[i, j, k] * x[j] * y[k])",
        "{'a b': x, c: (1.5 + 2.5j) * z}.c",
        "X[1:, ::-2, 0].sum(axis=(0, 1), keepdims=true) + svd(A)[1][0]",
        "(reshape(v, (2, -1)), [[1, 2], [3, 4]], na, cast(x, float32))",
    ]
    .iter()
    .map(|s| compile_expression(s, &env).unwrap().to_string())
    .collect()
}

proptest! {
    #[test]
    fn random_text_never_panics(text in "\\PC*") {
        let _ = parse_function(&text);
        let _ = parse_program(&text);
    }

    #[test]
    fn random_lines_never_panic(lines in prop::collection::vec(
        "(def|index|return|%[0-9]|  |\\}|[%=:#@\\[\\]()'.,0-9a-z +\\-*?\\\\{}]){0,12}", 0..8)) {
        let text = format!("def f(x: int8) {{\n{}\n  return %0\n}}", lines.join("\n"));
        let _ = parse_function(&text);
        let _ = parse_program(&text);
    }

    #[test]
    fn corrupted_printed_forms_never_panic(
        which in 0usize..4,
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<char>()), 1..4),
    ) {
        let mut text: Vec<char> = samples()[which].chars().collect();
        for (at, kind, c) in edits {
            let i = at.index(text.len() + 1);
            match kind {
                0 if i < text.len() => { text.remove(i); }
                1 => text.insert(i, c),
                _ if i < text.len() => text[i] = c,
                _ => {}
            }
        }
        let text: String = text.into_iter().collect();
        let _ = parse_function(&text);
        let _ = parse_program(&text);
    }

    #[test]
    fn arbitrary_literals_and_names_round_trip(
        bits in any::<u64>(),
        re in any::<f64>(),
        int in any::<i128>(),
        name in "\\PC*",
        any_name in any::<String>(),
        start in any::<usize>(),
        end in any::<usize>(),
        steps in prop::collection::vec((any::<Option<i64>>(), any::<Option<i64>>(), any::<i64>()), 0..4),
    ) {
        let x = f64::from_bits(bits);
        let mut nodes = vec![
            node(Op::Literal(Literal::Float(x)), vec![], "float64"),
            node(Op::Literal(Literal::Complex(re, x)), vec![], "complex[float64]"),
            node(Op::Literal(Literal::Int(int)), vec![], "int64"),
            node(Op::ArrayLiteral { shape: vec![3], values: vec![Literal::Float(re), Literal::Int(int), Literal::Complex(x, re)] }, vec![], "3 * complex[float64]"),
            node(Op::Field(name.clone()), vec![0], "int8"),
            node(Op::MakeRecord(vec![any_name.clone(), name.clone()]), vec![0, 1], "int8"),
            node(Op::Forall(vec![IndexVar(0), IndexVar(1)]), vec![2], "int8"),
            node(Op::Index(steps.iter().map(|&(a, b, s)| IndexItem::Range { start: a, stop: b, step: s }).collect()), vec![0], "int8"),
            node(Op::Literal(Literal::Str(any_name.clone())), vec![], "string"),
        ];
        nodes[3].span = Span::new(start, end);
        let f = Function {
            name: any_name.clone(),
            params: vec![(name.clone(), parse("int8").unwrap())],
            nodes,
            root: NodeId(0),
            index_vars: vec![
                IndexInfo { name: name.clone(), extent: Dim::Fixed(bits) },
                IndexInfo { name: any_name.clone(), extent: Dim::Var(None) },
            ],
        };
        let text = f.to_string();
        let g = parse_function(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(bitwise(&g), bitwise(&f));
    }
}
