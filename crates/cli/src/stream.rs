//! Out-of-core runs of `blaze eval` and `blaze graph`: `.npy` inputs are
//! streamed by blocks of rows within a memory limit (runtime `stream`).

use crate::check::{compile, parse_args, Source};
use crate::Failure;
use blaze::datashape::{Datashape, Dim, Measure};
use blaze::interp::{format_value, Value};
use blaze::runtime::csv::CsvFile;
use blaze::runtime::npy::{write_npy, NpyFile};
use blaze::runtime::stream::is_zarr;
use blaze::runtime::stream::{self, human, Input, Plan, ROWS};
use blaze::runtime::zarr::{write_zarr, ZarrArray};
use std::io::IsTerminal;
use std::path::Path;
use std::time::Instant;

/// Parses `1GiB`, `512MB`, `2G`, `1000000` (bytes).
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().map_err(|_| {
        format!("`{text}` is not a size: expected a number and a unit, as in `1GiB`")
    })?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "kib" => 1024.0,
        "m" | "mb" => 1e6,
        "mib" => (1u64 << 20) as f64,
        "g" | "gb" => 1e9,
        "gib" => (1u64 << 30) as f64,
        "t" | "tb" => 1e12,
        "tib" => (1u64 << 40) as f64,
        other => {
            return Err(format!(
                "`{other}` is not a size unit: use B, KB, MB, GB, KiB, MiB or GiB"
            ))
        }
    };
    let bytes = n * mult;
    if !(1.0..1e18).contains(&bytes) {
        return Err(format!("`{text}` is not a usable size"));
    }
    Ok(bytes as u64)
}

/// Total memory of the machine (Linux), if known.
pub(crate) fn total_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The default memory limit: half of the machine's memory.
pub(crate) fn default_limit() -> u64 {
    total_memory().map_or(4 << 30, |m| m / 2)
}

/// What a streamed run needs: the plan, its inputs, the checked function.
pub(crate) struct Streamed {
    pub plan: Plan,
    pub inputs: Vec<Input>,
}

/// Opens the inputs, types the streamed ones with a symbolic first
/// dimension, checks the expression and plans the run. `Ok(None)`: the
/// program cannot stream (the reason is returned for the caller to report
/// or to fall back on memory).
pub(crate) fn prepare_streamed(
    source: &Source,
    specs: &[String],
    args: &[String],
    limit: u64,
) -> Result<Result<Streamed, String>, Failure> {
    if !matches!(source, Source::Expr(_)) {
        return Ok(Err(
            "out-of-core runs take an expression (`-e`); a module's definitions run in memory"
                .into(),
        ));
    }
    let mut files: Vec<(String, NpyFile)> = Vec::new();
    let mut zarrs: Vec<(String, ZarrArray)> = Vec::new();
    let mut types = parse_args(args)?;
    let mut inputs_by_name: Vec<(String, Input)> = Vec::new();
    for spec in specs {
        let Some((name, path)) = spec.split_once('=') else {
            eprintln!("error[usage]: `--in {spec}`: expected NAME=PATH, as in `--in x=x.npy`");
            return Err(Failure);
        };
        if files.iter().any(|(n, _)| n == name)
            || zarrs.iter().any(|(n, _)| n == name)
            || inputs_by_name.iter().any(|(n, _)| n == name)
        {
            eprintln!("error[usage]: input `{name}` is given twice");
            return Err(Failure);
        }
        if let Some((file, ty)) = csv_spec(path)? {
            let csv = CsvFile::open(Path::new(file), &ty).map_err(|e| {
                eprintln!("error[input]: {e}");
                Failure
            })?;
            types.push((
                name.to_string(),
                Datashape::new(vec![Dim::TypeVar(ROWS.into())], ty.measure.clone()),
            ));
            inputs_by_name.push((name.to_string(), Input::Csv(csv)));
            continue;
        }
        if Path::new(path).is_dir() || is_zarr(Path::new(path)) {
            let z = ZarrArray::open(Path::new(path)).map_err(|e| {
                eprintln!("error[input]: {e}");
                Failure
            })?;
            zarrs.push((name.to_string(), z));
            continue;
        }
        match NpyFile::open(Path::new(path)) {
            Ok(f) => files.push((name.to_string(), f)),
            Err(e) => {
                eprintln!("error[input]: {e}");
                return Err(Failure);
            }
        }
    }
    // The streamed rows are those of the largest array input; inputs with
    // another first dimension (a row of means, a small matrix) are read
    // into memory whole.
    let rows = files
        .iter()
        .filter(|(_, f)| !f.shape().is_empty())
        .map(|(_, f)| (f.data_bytes(), f.shape()[0]))
        .chain(
            zarrs
                .iter()
                .filter(|(_, z)| !z.shape().is_empty())
                .map(|(_, z)| (z.data_bytes(), z.shape()[0])),
        )
        .max()
        .map(|(_, r)| r);
    for (name, z) in zarrs {
        let mut dims: Vec<Dim> = z.shape().iter().map(|&n| Dim::Fixed(n as u64)).collect();
        if !dims.is_empty() && Some(z.shape()[0]) == rows {
            dims[0] = Dim::TypeVar(ROWS.into());
            types.push((
                name.clone(),
                Datashape::new(dims, Measure::scalar(z.scalar())),
            ));
            inputs_by_name.push((name, Input::Zarr(z)));
        } else {
            let a = z.read_all().map_err(|e| {
                eprintln!("error[input]: {e}");
                Failure
            })?;
            types.push((
                name.clone(),
                Datashape::new(dims, Measure::scalar(a.scalar())),
            ));
            inputs_by_name.push((name, Input::Memory(Value::from(a))));
        }
    }
    for (name, f) in files {
        let streamable = !f.shape().is_empty() && !f.fortran_order() && Some(f.shape()[0]) == rows;
        let mut dims: Vec<Dim> = f.shape().iter().map(|&n| Dim::Fixed(n as u64)).collect();
        if streamable {
            dims[0] = Dim::TypeVar(ROWS.into());
            types.push((
                name.clone(),
                Datashape::new(dims, Measure::scalar(f.scalar())),
            ));
            inputs_by_name.push((name, Input::Npy(f)));
        } else {
            let a = match f.read_all() {
                Ok(a) => a,
                Err(e) => {
                    eprintln!("error[input]: {e}");
                    return Err(Failure);
                }
            };
            types.push((
                name.clone(),
                Datashape::new(dims, Measure::scalar(a.scalar())),
            ));
            inputs_by_name.push((name, Input::Memory(Value::from(a))));
        }
    }
    let checked = compile(source, &types)?;
    let Some(function) = checked.functions.first() else {
        return Err(Failure);
    };
    let mut inputs = Vec::new();
    for (name, _) in &function.params {
        match inputs_by_name.iter().position(|(n, _)| n == name) {
            Some(i) => inputs.push(inputs_by_name.remove(i).1),
            None => {
                eprintln!(
                    "error[input]: no input for `{name}`: give it with `--in {name}=PATH.npy`"
                );
                return Err(Failure);
            }
        }
    }
    if let Some((name, _)) = inputs_by_name.first() {
        eprintln!("error[usage]: input `{name}` is not used by the expression");
        return Err(Failure);
    }
    match stream::plan(function, &inputs, limit, None) {
        Ok(plan) => Ok(Ok(Streamed { plan, inputs })),
        Err(e) => Ok(Err(e.to_string())),
    }
}

/// Runs a planned stream: progress bar on a terminal, result to `out` or
/// printed, timings as JSON when asked.
pub(crate) fn run_streamed(
    s: Streamed,
    out: Option<&str>,
    threads: Option<usize>,
    timings: bool,
    limit: u64,
    t_start: Instant,
) -> Result<(), Failure> {
    let bar = if std::io::stderr().is_terminal() {
        let b = match s.plan.rows() {
            Some(rows) => indicatif::ProgressBar::new(rows as u64),
            None => indicatif::ProgressBar::new_spinner(),
        };
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} rows ({eta} left)",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(b)
    } else {
        None
    };
    let progress = |done: usize, _total: usize| {
        if let Some(b) = &bar {
            b.set_position(done as u64);
        }
    };
    let t = Instant::now();
    let streamed_to_file = out.is_some() && s.plan.streams_result();
    let result = s.plan.run(
        &s.inputs,
        out.filter(|_| streamed_to_file).map(Path::new),
        threads,
        &progress,
    );
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let execute = t.elapsed().as_secs_f64();
    let value = match result {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error[eval]: {e}");
            return Err(Failure);
        }
    };
    if timings {
        eprintln!(
            "{}",
            serde_json::json!({
                "engine": "jit",
                "streamed": true,
                "memory_limit": limit,
                "blocks": s.plan.blocks(),
                "block_rows": s.plan.block_rows(),
                "execute": execute,
                "total": t_start.elapsed().as_secs_f64(),
            })
        );
    }
    match (value, out) {
        (None, _) => Ok(()),
        (
            Some(Value::Array {
                data,
                missing: None,
            }),
            Some(path),
        ) => write_array(path, &data),
        (Some(_), Some(_)) => {
            eprintln!("error[output]: only an array result can be written to a `.npy` file");
            Err(Failure)
        }
        (Some(v), None) => {
            println!("{}", format_value(&v));
            Ok(())
        }
    }
}

/// `blaze graph`: the task graph of a streamed run, one task a line.
pub(crate) fn graph(
    source: Source,
    specs: &[String],
    args: &[String],
    out: Option<&str>,
    limit: Option<u64>,
) -> Result<(), Failure> {
    let limit = limit.unwrap_or_else(default_limit);
    match prepare_streamed(&source, specs, args, limit)? {
        Ok(s) => {
            match (s.plan.rows(), s.plan.blocks()) {
                (Some(rows), Some(blocks)) => println!(
                    "# {rows} rows in {blocks} blocks of {} rows, memory limit {}",
                    s.plan.block_rows(),
                    human(limit)
                ),
                _ => println!(
                    "# rows known at the end of the input, in blocks of {} rows, memory limit {}",
                    s.plan.block_rows(),
                    human(limit)
                ),
            }
            for line in s.plan.tasks(out) {
                println!("{line}");
            }
            Ok(())
        }
        Err(why) => {
            eprintln!("error[stream]: {why}");
            Err(Failure)
        }
    }
}

/// Whether the inputs together are larger than `limit` (reading only the
/// headers of `.npy` files; a CSV file counts its size).
pub(crate) fn inputs_exceed(specs: &[String], limit: u64) -> bool {
    let mut total = 0u64;
    for spec in specs {
        if let Some((_, path)) = spec.split_once('=') {
            if let Ok(Some((file, _))) = csv_spec(path) {
                total += std::fs::metadata(file).map_or(0, |m| m.len());
            } else if let Ok(z) = ZarrArray::open(Path::new(path)) {
                total += z.data_bytes();
            } else if let Ok(f) = NpyFile::open(Path::new(path)) {
                total += f.data_bytes();
            }
        }
    }
    total > limit
}

/// `PATH.csv:DATASHAPE` → the path and the datashape of the rows; `None`
/// for other paths. A CSV path without a datashape is a usage error.
pub(crate) fn csv_spec(path: &str) -> Result<Option<(&str, Datashape)>, Failure> {
    let lower = path.to_ascii_lowercase();
    let Some(end) = lower.find(".csv") else {
        return Ok(None);
    };
    let (file, rest) = path.split_at(end + 4);
    let Some(ty) = rest.strip_prefix(':') else {
        eprintln!(
            "error[usage]: `{path}`: a CSV input needs the datashape of its rows, as in `p.csv:var * {{a: int32, b: float64}}`"
        );
        return Err(Failure);
    };
    match blaze::datashape::parse(ty) {
        Ok(t) => Ok(Some((file, t))),
        Err(e) => {
            eprint!("{}", e.render(ty, file));
            Err(Failure)
        }
    }
}

/// Writes a result to `.npy`, or to a Zarr array when the path ends in
/// `.zarr`.
pub(crate) fn write_array(path: &str, data: &blaze::interp::Array) -> Result<(), Failure> {
    let p = Path::new(path);
    let r = if is_zarr(p) {
        write_zarr(p, data).map_err(|e| e.to_string())
    } else {
        write_npy(p, data).map_err(|e| e.to_string())
    };
    r.map_err(|e| {
        eprintln!("error[output]: {e}");
        Failure
    })
}

/// Reads a whole input: a Zarr array (a directory or `….zarr`) or `.npy`.
pub(crate) fn read_whole(path: &str) -> Result<blaze::interp::Array, String> {
    let p = Path::new(path);
    if p.is_dir() || is_zarr(p) {
        ZarrArray::open(p)
            .and_then(|z| z.read_all())
            .map_err(|e| e.to_string())
    } else {
        blaze::runtime::npy::read_npy(p).map_err(|e| e.to_string())
    }
}
