//! `blaze demo`: the built-in demonstration. The seed's headline: `A.T @ A`
//! of an on-disk array larger than the memory limit, streamed by blocks
//! through BLAS with a progress bar, printed as the blog printed it, with
//! the timings. `--datashapes` shows the datashape layer on the seed's
//! examples instead.

use crate::canonical;
use crate::error::CliError;
use crate::progress::Bar;
use blaze::datashape::{parse, parse_module, unify, Scalar, TypeEnv};
use blaze::interp::{format_value, Array, Value};
use blaze::runtime::error::human;
use blaze::runtime::io::npy::{NpyFile, NpyWriter};
use blaze::runtime::session::{InputSpec, Program};
use blaze::runtime::Session;
use std::path::Path;
use std::time::Instant;

/// Options of `blaze demo`.
pub(crate) struct DemoOptions {
    pub datashapes: bool,
    pub size: u64,
    pub cols: usize,
    pub path: String,
    pub memory_limit: u64,
    pub threads: Option<usize>,
}

/// Writes `rows × cols` float64 uniform in [0, 1) (a fixed sequence, so
/// every run makes the same array) to `path`, by blocks.
fn create(path: &Path, rows: usize, cols: usize) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
    }
    let w = NpyWriter::create(path, Scalar::Float64, &[rows, cols]).map_err(|e| e.to_string())?;
    let block = ((32usize << 20) / (8 * cols)).max(1);
    let b = Bar::new("writing");
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut r = 0;
    while r < rows {
        let n = block.min(rows - r);
        let data: Vec<f64> = (0..n * cols)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 11) as f64 / (1u64 << 53) as f64
            })
            .collect();
        let a = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[n, cols]), data)
            .map_err(|e| e.to_string())?;
        w.write_rows(r, &Array::Float64(a))
            .map_err(|e| e.to_string())?;
        r += n;
        if let Some(b) = &b {
            b.set(r, Some(rows));
        }
    }
    if let Some(b) = &b {
        b.clear();
    }
    w.finish().map_err(|e| e.to_string())
}

pub(crate) fn run(opts: DemoOptions) -> Result<(), CliError> {
    if opts.datashapes {
        return datashapes();
    }
    let fail = |m: String| CliError::Tagged("demo", m);
    let cols = opts.cols.max(1);
    let rows = ((opts.size / (8 * cols as u64)) as usize).max(1);
    let path = Path::new(&opts.path);
    outln!(
        "blaze {}: A.T @ A out of core, as in Blaze's blog post (there: 1,000,000 x 1000 on disk, 2 min 50 s on one core)\n",
        env!("CARGO_PKG_VERSION")
    );
    let existing = NpyFile::open(path)
        .ok()
        .filter(|f| f.shape() == [rows, cols] && f.scalar() == Scalar::Float64);
    let t = Instant::now();
    if existing.is_none() {
        outln!(
            "creating {} : {rows} x {cols} float64 ({}) ...",
            path.display(),
            human(rows as u64 * cols as u64 * 8)
        );
        create(path, rows, cols).map_err(fail)?;
        outln!("  written in {:.1} s", t.elapsed().as_secs_f64());
    } else {
        outln!("using {} : {rows} x {cols} float64", path.display());
    }
    let mut session = Session::new().memory_limit(opts.memory_limit);
    if let Some(n) = opts.threads {
        session = session.threads(n);
    }
    let program = Program::expr("A.T @ A");
    let inputs = [InputSpec {
        name: "A".into(),
        path: path.to_path_buf(),
        datashape: None,
    }];
    let (plan, _) = session.stream_plan(&program, &inputs)?;
    outln!(
        "computing A.T @ A within {} of memory: {} blocks of {} rows, syrk on each, partial sums added in order",
        human(opts.memory_limit),
        plan.blocks().unwrap_or(1),
        plan.block_rows()
    );
    let b = Bar::new("A.T @ A");
    if let Some(b) = b.clone() {
        session = session.on_progress(move |done, rows| b.set(done, rows));
    }
    let t = Instant::now();
    let result = session.run(&program, &inputs, None);
    let seconds = t.elapsed().as_secs_f64();
    if let Some(b) = &b {
        b.clear();
    }
    let Some(Value::Array {
        data: Array::Float64(g),
        ..
    }) = result?.value
    else {
        return Err(fail("A.T @ A gave no float64 matrix".into()));
    };
    let k = cols.min(4);
    let corner = g.slice_each_axis(|_| ndarray::Slice::from(0..k)).to_owned();
    outln!("\n(A.T @ A)[:{k}, :{k}] =");
    outln!("{}", format_value(&Value::from(Array::Float64(corner))));
    let bytes = rows as f64 * cols as f64 * 8.0;
    let flops = rows as f64 * cols as f64 * cols as f64;
    outln!(
        "\n{:.2} s: {:.2} GB/s read, {:.1} GFLOP/s (syrk: n^2 k multiply-adds)",
        seconds,
        bytes / seconds / 1e9,
        flops / seconds / 1e9
    );
    outln!(
        "\nEach entry is about rows / 3 = {:.0} for uniform [0, 1) data (1/4 off the diagonal).",
        rows as f64 / 3.0
    );
    outln!(
        "Try: blaze graph -e 'A.T @ A' --in A={} --memory-limit 1GiB | head",
        path.display()
    );
    Ok(())
}

/// The seed's comma spellings and their modern forms.
const SPELLINGS: &[&str] = &[
    "5, 5, int32",
    "300, Record(uid=int32, name=string)",
    "Var(25), Record(uid=int32, name=string)",
    "200, 300, Either(int32, na)",
    "Var, float64",
    "3, 2, Var(10), int32",
];

const DEFINITIONS: &str = "\
type RGBA = {r: uint8, g: uint8, b: uint8, a: uint8}
type Stock = {name: string, open: decimal[18, 4], close: decimal[18, 4], max: int64, min: int64}
type SquareMatrix A = N * N * A
type Mesh A B = 5 * 5 * {x: A, y: B}
type Portfolio R = R * Stock
type Quaternion = 4 * float64";

const USES: &[&str] = &[
    "N * M * 800 * 600 * RGBA",
    "SquareMatrix float32",
    "Mesh int32 float64",
    "Portfolio 100",
    "10 * 10 * Quaternion",
];

const UNIFICATIONS: &[(&str, &str)] = &[
    ("3, 2, Var(10), int32", "1, Var(100), float32"),
    ("N * 1 * int8", "7 * uint8"),
    ("10 * ?int32", "float64"),
    ("var[5] * complex64", "3 * float64"),
];

fn datashapes() -> Result<(), CliError> {
    outln!(
        "blaze {} — datashapes: one language for shape and element type\n",
        env!("CARGO_PKG_VERSION")
    );

    outln!("The seed's spellings, printed canonically:");
    let mut env = TypeEnv::new();
    for src in SPELLINGS {
        match canonical(src, &mut env) {
            Ok(Some(ds)) => outln!("  {src:<42} => {ds}"),
            Ok(None) => {}
            Err(e) => return report(&e.render(src, "<demo>")),
        }
    }

    outln!("\nType definitions, applied and expanded:");
    if let Err(e) = parse_module(DEFINITIONS, &mut env) {
        return report(&e.render(DEFINITIONS, "<demo>"));
    }
    for def in env.defs() {
        outln!("  {def}");
    }
    for src in USES {
        match canonical(src, &mut env) {
            Ok(Some(ds)) => outln!("  {src:<28} => {}", env.expand(&ds)),
            Ok(None) => {}
            Err(e) => return report(&e.render(src, "<demo>")),
        }
    }

    outln!("\nUnification (broadcasting + promotion):");
    for (a, b) in UNIFICATIONS {
        let (Ok(x), Ok(y)) = (parse(a), parse(b)) else {
            return report("demo inputs failed to parse");
        };
        match unify(&x, &y, &env) {
            Ok(u) => outln!("  {a:<22} ⊔ {b:<22} = {u}"),
            Err(e) => return report(&e.message),
        }
    }

    outln!("\nErrors point at the offending text:");
    for bad in [
        "5 * 3",
        "3 * 4, int32",
        "{a: int32, a: float64}",
        "SquareMatrix int32 int32",
    ] {
        if let Err(e) = canonical(bad, &mut env) {
            for line in e.render(bad, "<demo>").lines() {
                outln!("  {line}");
            }
        }
    }
    let (Ok(x), Ok(y)) = (parse("3 * 4 * int32"), parse("5 * int32")) else {
        return report("demo inputs failed to parse");
    };
    if let Err(e) = unify(&x, &y, &env) {
        outln!("  3 * 4 * int32 ⊔ 5 * int32: {}", e.message);
    }
    outln!(
        "\nTry: blaze datashape '3, 2, Var(10), int32'   blaze unify '3 * 1 * int8' '4 * uint8'"
    );
    Ok(())
}

fn report(msg: &str) -> Result<(), CliError> {
    Err(CliError::Rendered(format!("{}\n", msg.trim_end())))
}
