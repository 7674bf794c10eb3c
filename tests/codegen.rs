//! Snapshots of the LLVM IR the JIT generates for representative kernels,
//! and checks that the optimized code is vectorized (over Arrow bitmaps
//! read bit by bit too).
//!
//! Each `tests/data/codegen/NAME.ll` starts with `; expr: …` and `; args: …`
//! lines; the rest is the generated (unoptimized) IR of the kernels, with the
//! host-specific attribute strings (`target-cpu`, `target-features`, vector
//! variants) replaced by `<host>`, and the declarations of libmvec's vector
//! functions (which depend on the host's ISA) left out. `BLESS=1` rewrites
//! the files from what the code generates now.

use blaze::codegen::Dumps;
use blaze::datashape::parse;
use blaze::interp::{Array, Value};
use blaze::ir::compile_expression;
use blaze::runtime::exec::{prepare, Options, Report};
use ndarray::{ArrayD, Dimension, IxDyn};
use std::path::Path;

fn run(expr: &str, args: &[(&str, &str)], dumps: Dumps) -> Report {
    let types: Vec<_> = args
        .iter()
        .map(|(n, t)| (n.to_string(), parse(t).expect("datashape")))
        .collect();
    let f = compile_expression(expr, &types).expect("compiles");
    let inputs: Vec<Value> = types
        .iter()
        .map(|(_, t)| {
            let shape: Vec<usize> = t
                .dims
                .iter()
                .map(|d| d.to_string().parse().expect("fixed dims"))
                .collect();
            let s = t.measure.element_scalar().expect("scalar");
            let base = Array::Float64(ArrayD::from_shape_fn(IxDyn(&shape), |i| {
                i.slice().iter().sum::<usize>() as f64 * 0.25 + 1.0
            }));
            Value::from(blaze::interp::kernels::cast(&base, s))
        })
        .collect();
    let opts = Options {
        dumps,
        ..Options::default()
    };
    prepare(&f).run(&inputs, &opts).expect("runs").1
}

/// Host-specific parts of the IR replaced or left out.
fn normalize(ir: &str) -> String {
    let mut out = String::new();
    for line in ir.lines() {
        if line.starts_with("declare") && line.contains("@_ZGV") {
            continue;
        }
        if line.starts_with("@llvm.compiler.used") {
            continue;
        }
        let mut l = line.to_string();
        for key in [
            "\"target-cpu\"=\"",
            "\"target-features\"=\"",
            "\"vector-function-abi-variant\"=\"",
        ] {
            if let Some(i) = l.find(key) {
                let start = i + key.len();
                if let Some(len) = l[start..].find('"') {
                    l = format!("{}<host>{}", &l[..start], &l[start + len..]);
                }
            }
        }
        // The module name and source file carry the kernel number.
        if l.starts_with("; ModuleID") || l.starts_with("source_filename") {
            continue;
        }
        // The vector variants left out leave blank lines, as many as the
        // host has variants: keep one.
        if l.is_empty() && out.ends_with("\n\n") {
            continue;
        }
        out.push_str(&l);
        out.push('\n');
    }
    // Kernel numbers depend on what ran before in this process.
    let mut text = out;
    while let Some(i) = text.find("blaze_kernel_") {
        let rest = &text[i + "blaze_kernel_".len()..];
        let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
        text = format!("{}blaze_kernel{}", &text[..i], &rest[digits..]);
    }
    text
}

/// `(snapshot name, expression, arguments)`.
type Case = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

const CASES: &[Case] = &[
    (
        "axpy_f64",
        "2*a + b",
        &[("a", "64 * float64"), ("b", "64 * float64")],
    ),
    (
        "fma_broadcast",
        "a * b + c",
        &[
            ("a", "8 * 16 * float32"),
            ("b", "16 * float32"),
            ("c", "float32"),
        ],
    ),
    (
        "int_floordiv_mod",
        "a // b + a % b",
        &[("a", "64 * int32"), ("b", "64 * int32")],
    ),
    (
        "cast_saturating",
        "cast(a, int16)",
        &[("a", "64 * float64")],
    ),
    (
        "where_compare",
        "where(a > b, a, b * 2)",
        &[("a", "64 * float64"), ("b", "64 * float64")],
    ),
    (
        "sum_all",
        "sum(a * b)",
        &[("a", "4096 * float64"), ("b", "4096 * float64")],
    ),
    ("sum_axis1", "sum(x, axis=1)", &[("x", "8 * 512 * float64")]),
    ("max_axis0", "max(x, axis=0)", &[("x", "8 * 512 * int64")]),
    (
        "sin_vector_math",
        "2*a + sin(b)",
        &[("a", "64 * float64"), ("b", "64 * float64")],
    ),
];

#[test]
fn generated_ir_snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/codegen");
    let bless = std::env::var_os("BLESS").is_some();
    let mut failures = Vec::new();
    for (name, expr, args) in CASES {
        let report = run(
            expr,
            args,
            Dumps {
                ir: true,
                ..Dumps::default()
            },
        );
        let mut text = format!(
            "; expr: {expr}\n; args: {}\n",
            args.iter()
                .map(|(n, t)| format!("{n}: {t}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for k in &report.kernels {
            text.push_str(&normalize(k.ir.as_deref().unwrap_or("")));
        }
        let path = dir.join(format!("{name}.ll"));
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        if old != text {
            if bless {
                std::fs::write(&path, &text).expect("writable");
            } else {
                failures.push(format!("{} differs (BLESS=1 rewrites it)", path.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn optimized_code_is_vectorized() {
    for (expr, args, vector) in [
        (
            "2*a + b*c",
            &[
                ("a", "4096 * float64"),
                ("b", "4096 * float64"),
                ("c", "4096 * float64"),
            ][..],
            "x double>",
        ),
        (
            "sum(a * b)",
            &[("a", "4096 * float64"), ("b", "4096 * float64")][..],
            "x double>",
        ),
        (
            "a + b",
            &[("a", "4096 * int32"), ("b", "4096 * int32")][..],
            "x i32>",
        ),
        (
            "sum(x, axis=0)",
            &[("x", "64 * 512 * float32")][..],
            "x float>",
        ),
        // Missing values: flags computed and reduced beside the values.
        (
            "sum(where(a > 0.5, a, na) * 2 + 1)",
            &[("a", "4096 * float64")][..],
            "x double>",
        ),
        (
            "fillna(where(a > 0.5, a, na), 0.0)",
            &[("a", "4096 * float64")][..],
            "x double>",
        ),
        (
            "a * 2.0 + b",
            &[("a", "4096 * ?float64"), ("b", "4096 * float64")][..],
            "x double>",
        ),
    ] {
        let report = run(
            expr,
            args,
            Dumps {
                opt_ir: true,
                asm: true,
                ..Dumps::default()
            },
        );
        let k = report.kernels.first().expect("a kernel ran");
        let opt = k.opt_ir.as_deref().unwrap_or("");
        assert!(opt.contains(vector), "`{expr}` is not vectorized:\n{opt}");
        let asm = k.asm.as_deref().unwrap_or("");
        // Packed arithmetic on xmm/ymm/zmm registers.
        assert!(
            asm.lines().any(|l| l.contains("pd\t")
                || l.contains("ps\t")
                || l.contains("vpadd")
                || l.contains("paddd")),
            "`{expr}` has no packed instructions:\n{asm}"
        );
    }
}

/// A view's Arrow bitmap is a bit-addressed operand of the kernel (its key
/// says so), read in place, and the values are still computed in vectors.
#[test]
fn kernels_over_bitmaps_read_them_bit_by_bit() {
    use blaze::array::{BooleanBuffer, Buffer, DenseArray, NullBuffer};
    use blaze::runtime::exec::Arg;
    let n = 4096;
    let types = vec![(
        "a".to_string(),
        parse("4096 * ?float64").expect("datashape"),
    )];
    let bits = NullBuffer::new(BooleanBuffer::new(
        Buffer::from_vec(vec![0xf7u8; n / 8 + 1]),
        3,
        n,
    ));
    let a = DenseArray::from_vec((0..n).map(|i| i as f64).collect::<Vec<f64>>(), &[n])
        .and_then(|a| a.with_validity(Some(bits)))
        .expect("an array with a bitmap");
    for expr in ["sum(a * 2.0 + 1.0)", "a * 2.0 + 1.0"] {
        let f = compile_expression(expr, &types).expect("compiles");
        let opts = Options {
            dumps: Dumps {
                ir: true,
                opt_ir: true,
                ..Dumps::default()
            },
            ..Options::default()
        };
        let (_, report) = prepare(&f)
            .run_args(&[Arg::View(a.view())], &opts)
            .expect("runs");
        let k = report.kernels.first().expect("a kernel ran");
        assert!(k.key.contains(" bits 1 "), "`{expr}`: {}", k.key);
        // The byte `bit >> 3` of the bitmap, the bit `bit & 7` of it.
        let ir = k.ir.as_deref().unwrap_or("");
        assert!(
            ir.contains("lshr i64") && ir.contains("and i64"),
            "`{expr}`:\n{ir}"
        );
        let opt = k.opt_ir.as_deref().unwrap_or("");
        assert!(
            opt.contains("x double>"),
            "`{expr}` is not vectorized:\n{opt}"
        );
    }
}
