//! The `blaze` command-line tool: the only crate that parses arguments.
//!
//! A shell over the library: it parses arguments, shows progress and
//! renders results; running programs on files (binding, streaming,
//! planning) is the runtime's [`Session`](blaze::runtime::Session). User
//! errors are [`CliError`] values rendered once, in
//! `main`, on stderr (with a caret under the offending source where there
//! is one), exiting with status 1; success exits 0.

#[macro_use]
mod out;

mod args;
mod bind;
mod build;
mod cache;
mod check;
mod config;
mod demo;
mod discover;
mod error;
mod eval;
mod progress;

use error::CliError;

use blaze::datashape::{
    parse_module, snippet, unify, Datashape, Error, ErrorKind, Location, Parsed, Site, Span,
    TypeEnv, UnifyError,
};
use clap::{Args, Parser, Subcommand};
use serde_json::json;
use std::io::Write;
use std::process::ExitCode;

/// blaze: a JIT-compiling array compiler.
#[derive(Parser)]
#[command(name = "blaze", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where a program comes from: a module file or an expression.
#[derive(Args)]
struct SourceArgs {
    /// A module (`.blz` file).
    #[arg(
        value_name = "FILE.blz",
        required_unless_present = "expr",
        conflicts_with = "expr"
    )]
    file: Option<String>,
    /// An expression instead of a file (it may start with `-`: `-e -9`).
    #[arg(
        short = 'e',
        long = "expr",
        value_name = "EXPR",
        allow_hyphen_values = true
    )]
    expr: Option<String>,
}

/// The program and inputs of `eval` and `explain`.
#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    source: SourceArgs,
    /// The definition of the module to run.
    #[arg(long = "def", value_name = "NAME")]
    def: Option<String>,
    /// An input file, NAME=PATH or NAME=PATH:DATASHAPE (repeatable):
    /// `.npy`, a Zarr array (a directory, or `….zarr`), Parquet
    /// (`.parquet`, `.pq`), Arrow IPC (`.arrow`, `.feather`, `.ipc`),
    /// JSON lines (`.jsonl`, `.ndjson`, `.json`) or CSV (`.csv`), with
    /// the datashape of its records (`p=prices.csv:var * {day: date,
    /// close: float64}`; a CSV view fills the leaves with the columns in
    /// order: `p=v.csv:var * 2 * 3 * float64`) or without (discovered from
    /// the first rows, as `blaze discover` prints it). `p=-:DATASHAPE` or
    /// `p=-` reads CSV or JSON lines from standard input, and a named pipe
    /// is read the same way: once, by blocks. A PNG image (`.png`) is
    /// `H * W * RGBA`, or `I=x.png:H * W * 4 * uint8`.
    #[arg(long = "in", value_name = "NAME=PATH[:DATASHAPE]")]
    inputs: Vec<String>,
    /// A scalar parameter: NAME=VALUE, a number, true/false, a quoted
    /// string or na (`--arg alpha=2.5`, `--arg n=-3`).
    #[arg(long = "arg", value_name = "NAME=VALUE", allow_hyphen_values = true)]
    args: Vec<String>,
    /// `jit` (compiled kernels) or `interp` (the reference interpreter).
    #[arg(long, default_value = "jit")]
    engine: String,
    /// Stream inputs by blocks of rows, using at most this much memory
    /// (`1GiB`, `512MB`). Without it, inputs larger than half of the
    /// machine's memory are streamed within that half.
    #[arg(long, value_name = "SIZE", value_parser = args::parse_size)]
    memory_limit: Option<u64>,
}

impl RunArgs {
    /// The program (a module file is read now) and the run's flags.
    fn flags(self, threads: Option<usize>) -> Result<eval::RunFlags, CliError> {
        Ok(eval::RunFlags {
            program: check::program(self.source.file, self.source.expr, self.def)?,
            inputs: self.inputs,
            args: self.args,
            engine: self.engine,
            threads,
            memory_limit: self.memory_limit,
        })
    }
}

#[derive(Subcommand)]
enum Command {
    /// Print the canonical form of each datashape.
    ///
    /// Each argument is a datashape, or type definitions followed by at most
    /// one datashape (`type Q = 4 * float64; 10 * Q`). Definitions stay in
    /// scope for the arguments after them.
    Datashape {
        /// Print JSON (one object per argument, one per line).
        #[arg(long)]
        json: bool,
        /// Substitute type definitions in the printed datashapes.
        #[arg(long)]
        expand: bool,
        /// The datashapes.
        #[arg(required = true, value_name = "DS")]
        datashapes: Vec<String>,
    },
    /// Print the datashape of the data at a path.
    ///
    /// A `.npy` file by its header, a Zarr array by its metadata, Parquet
    /// and Arrow files by their schema; CSV by sniffing its first rows:
    /// whether the first line is a header, the column names (or `f0`,
    /// `f1`, …), each column's type (`bool`, `int64`, `float64`, `date`,
    /// `datetime`, else `string`; `?T` when a cell is empty or `NA`); JSON
    /// lines by inference over the first rows. `-` reads standard input
    /// (CSV, or JSON lines when it starts with `{`). A pattern or
    /// directory by its structure: one dimension per wildcard level, then
    /// the files' datashape (`12 * var * {…}`, `2 * 3 * 600 * 800 *
    /// RGBA`). What is printed is what `--in NAME=PATH` without a
    /// datashape reads, except that files other than images concatenate
    /// their rows unless given the printed datashape.
    Discover {
        /// Print JSON: `{"path": …, "datashape": …}`.
        #[arg(long)]
        json: bool,
        /// Rows of a text file sampled for the column types.
        #[arg(long, value_name = "N", default_value_t = blaze::runtime::io::discover::DEFAULT_SAMPLE)]
        sample: usize,
        /// The file, directory or pattern (`-` for standard input).
        #[arg(value_name = "PATH", allow_hyphen_values = true)]
        path: String,
    },
    /// Print the unification of two datashapes: broadcasting and promotion.
    Unify {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// The left datashape (definitions before it are in scope for both).
        #[arg(value_name = "DS1")]
        left: String,
        /// The right datashape.
        #[arg(value_name = "DS2")]
        right: String,
    },
    /// Print the inferred type of each definition of a module, or of an
    /// expression.
    Check {
        #[command(flatten)]
        source: SourceArgs,
        /// The type of a name used in the expression: NAME=DATASHAPE.
        #[arg(long = "arg", value_name = "NAME=DS")]
        args: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Print the typed IR on stderr.
        #[arg(long)]
        dump_ir: bool,
    },
    /// Evaluate an expression, or a definition of a module, on files
    /// (`.npy`, Zarr, Parquet, Arrow IPC, JSON lines, CSV, PNG) and scalar
    /// values, printing the result or writing it to a file.
    Eval {
        #[command(flatten)]
        run: RunArgs,
        /// Write the result to this file instead of printing it; the
        /// format follows the extension (`.npy` by default, `.zarr` for a
        /// Zarr array, `.parquet`/`.pq`, `.arrow`/`.feather`/`.ipc`,
        /// `.jsonl`/`.ndjson`/`.json`, `.csv`, `.png` for an image; strings,
        /// decimals, ragged data and records need one of the table formats,
        /// `H * W * RGBA` records a `.png`). It replaces
        /// only a regular file, or a Zarr array for `.zarr`; a symlink is
        /// written through to what it points to.
        #[arg(long, value_name = "PATH")]
        out: Option<String>,
        /// Add the result's rows to what `--out` names instead of
        /// replacing it: an existing `.npy` file or Zarr array (same
        /// element type and row shape, else nothing is written), or a
        /// directory of Parquet files (`results/`), which gets a new file
        /// `part-NNNNN.parquet`. A missing destination is created. An
        /// interrupted append leaves the old data readable.
        #[arg(long, requires = "out")]
        append: bool,
        /// Print the typed IR on stderr.
        #[arg(long)]
        dump_ir: bool,
        /// Print what the JIT generated on stderr: llvm-ir, opt-ir or asm
        /// (repeatable). `BLAZE_DUMP=ir,opt-ir,asm` does the same.
        #[arg(long, value_name = "WHAT")]
        emit: Vec<String>,
        /// Print timings as JSON on stderr: parse, check, compile, execute
        /// (seconds), the operations run on the reference kernels, and
        /// whether the kernels came from the kernel cache (`"cache"`:
        /// hit, miss, mixed, off or none; `"cache_hits"`, `"cache_misses"`).
        #[arg(long)]
        timings: bool,
        /// Execute N times; `execute` in the timings is the best of them.
        #[arg(long, default_value_t = 1, value_name = "N")]
        repeat: usize,
        /// Worker threads (default: one per core).
        #[arg(long, value_name = "N")]
        threads: Option<usize>,
        /// Compile every kernel, neither loading nor storing machine code
        /// in the kernel cache (as `BLAZE_CACHE=off`).
        #[arg(long)]
        no_cache: bool,
    },
    /// Print the IR a program would run and its plan (the BLAS/LAPACK
    /// calls, or the streaming tasks), without running it: only the
    /// headers of the inputs are read.
    Explain {
        #[command(flatten)]
        run: RunArgs,
    },
    /// Print the task graph of an out-of-core run, one task a line.
    Graph {
        /// The expression (it may start with `-`).
        #[arg(
            short = 'e',
            long = "expr",
            value_name = "EXPR",
            required = true,
            allow_hyphen_values = true
        )]
        expr: String,
        /// An input file, NAME=PATH or NAME=PATH:DATASHAPE, as for `eval`:
        /// `.npy`, a Zarr array, `.parquet`, `.arrow`, `.jsonl` (with a
        /// datashape) or `.csv` (with the datashape of its records).
        #[arg(long = "in", value_name = "NAME=PATH[:DATASHAPE]")]
        inputs: Vec<String>,
        /// A scalar parameter: NAME=VALUE, as for `eval`.
        #[arg(long = "arg", value_name = "NAME=VALUE", allow_hyphen_values = true)]
        args: Vec<String>,
        /// Where the result would be written (any format `eval --out`
        /// writes; nothing is written).
        #[arg(long, value_name = "PATH")]
        out: Option<String>,
        /// The memory limit the blocks are sized for (default: half of the
        /// machine's memory).
        #[arg(long, value_name = "SIZE", value_parser = args::parse_size)]
        memory_limit: Option<u64>,
    },
    /// Run the built-in demonstration: `A.T @ A` of an on-disk array (made
    /// on first use) computed out of core, with a progress bar and timings.
    Demo {
        /// Size of the on-disk array (`3GB`, `500MB`).
        #[arg(long, default_value = "3GB", value_parser = args::parse_size)]
        size: u64,
        /// Its number of columns.
        #[arg(long, default_value_t = 1000)]
        cols: usize,
        /// Where the array lives (created when absent or of another size).
        #[arg(long, default_value = "blaze-demo/A.npy")]
        path: String,
        /// Memory for the computation.
        #[arg(long, default_value = "1GiB", value_parser = args::parse_size)]
        memory_limit: u64,
        /// Worker threads (default: one per core).
        #[arg(long, value_name = "N")]
        threads: Option<usize>,
        /// Show the datashape language on the seed's examples instead.
        #[arg(long)]
        datashapes: bool,
        /// Compile every kernel, bypassing the kernel cache.
        #[arg(long)]
        no_cache: bool,
    },
    /// Compile definitions ahead of time into an object file with one C
    /// function each, and the C header declaring them.
    ///
    /// `def axpy(a: float64, x: N * float64, y: N * float64)` becomes
    /// `int32_t axpy(double a, const DLTensor *x, const DLTensor *y,
    /// DLTensor *out)`. A definition over arrays of bool, integers and
    /// floats compiles when the JIT plans it into fused kernels (stored or
    /// reduced: `sum(x * x)` writes a 0-d `out`; `sum`, `prod`, `min`,
    /// `max`, `mean`, `var`, `std`, `any`, `all`, `count`, `argmin`,
    /// `argmax`), matrix products (BLAS), `solve`, `inv`, `det` (LAPACK)
    /// and index notation; several of them (`x - mean(x)`,
    /// `sum(exp(A @ w))`) run in order from a generated driver with
    /// temporaries it allocates and frees. Others are refused with the
    /// reason. Link with the flags the header names (`blaze config
    /// --libs`); no JIT and no blaze library at run time.
    ///
    /// By default the object is portable: one variant per x86-64 level
    /// (v2, v3, v4) and a dispatcher that picks the best one the running
    /// CPU supports at the first call (`BLAZE_DISPATCH=x86-64-v3` forces
    /// one), so it runs on any x86-64-v2 machine.
    Build {
        /// A module (`.blz` file).
        #[arg(value_name = "FILE.blz")]
        file: String,
        /// The object file to write.
        #[arg(short = 'o', value_name = "OUT.o")]
        out: String,
        /// The C header to write.
        #[arg(long, value_name = "OUT.h")]
        header: String,
        /// Build only these definitions (default: all).
        #[arg(long = "def", value_name = "NAME")]
        defs: Vec<String>,
        /// The CPU to compile for: `native` (this machine's), `x86-64`,
        /// `x86-64-v2`, `x86-64-v3`, `x86-64-v4` or an LLVM CPU name; a
        /// comma list of x86-64 levels builds one variant per level and a
        /// dispatcher [default on x86-64: x86-64-v2,x86-64-v3,x86-64-v4;
        /// on aarch64: generic].
        #[arg(long = "target-cpu", value_name = "CPU[,CPU…]")]
        target_cpu: Option<String>,
        /// The target triple, to cross-compile (`aarch64-unknown-linux-gnu`)
        /// [default: this machine's].
        #[arg(long, value_name = "TRIPLE")]
        target: Option<String>,
    },
    /// Print the flags that link objects from `blaze build`.
    ///
    /// Objects need no blaze library at run time: the DLPack checks, the
    /// error messages, the CPU dispatch and the temporaries of
    /// multi-step definitions are generated into each object. They link
    /// with OpenBLAS (definitions that call BLAS or LAPACK), glibc's libmvec
    /// (vectorized math) and libm; `--libs` prints the flags every object
    /// links with (an object's header names the subset it needs),
    /// `--static` the same with OpenBLAS from its static archive
    /// (`libopenblas.a`); add `-static` for a fully static executable.
    Config {
        /// The linker flags, shared libraries.
        #[arg(long)]
        libs: bool,
        /// The linker flags, OpenBLAS from its static archive.
        #[arg(long = "static")]
        archive: bool,
    },
    /// The kernel cache: machine code of compiled kernels kept on disk
    /// (`$XDG_CACHE_HOME/blaze/kernels`, or `BLAZE_CACHE_DIR`; capped by
    /// `BLAZE_CACHE_SIZE`, least recently used evicted first;
    /// `BLAZE_CACHE=off` bypasses it).
    Cache {
        #[command(subcommand)]
        action: CacheAction,
    },
}

/// What `blaze cache` does.
#[derive(Subcommand)]
enum CacheAction {
    /// Print the directory, its entries and bytes, and the cap.
    Info {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove every entry.
    Clear,
}

fn main() -> ExitCode {
    // OpenBLAS's kernels for this CPU, chosen before anything else runs.
    // SAFETY: the first thing the process does: no other thread yet, no
    // BLAS call yet.
    unsafe {
        blaze::runtime::linalg::cores::select_kernels();
    }
    // Usage errors exit 1 like every other user error; --help and
    // --version exit 0.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = match cli.command {
        Command::Datashape {
            json,
            expand,
            datashapes,
        } => cmd_datashape(&datashapes, json, expand),
        Command::Discover { json, sample, path } => discover::run(&path, sample, json),
        Command::Unify { json, left, right } => cmd_unify(&left, &right, json),
        Command::Check {
            source,
            args,
            json,
            dump_ir,
        } => check::program(source.file, source.expr, None)
            .and_then(|p| check::run(p, &args, json, dump_ir)),
        Command::Eval {
            run,
            out,
            append,
            dump_ir,
            emit,
            timings,
            repeat,
            threads,
            no_cache,
        } => run.flags(threads).and_then(|run| {
            if no_cache {
                blaze::codegen::disk_cache::set_enabled(false);
            }
            eval::run(eval::EvalOptions {
                run,
                out,
                append,
                dump_ir,
                emit,
                timings,
                repeat,
            })
        }),
        Command::Explain { run } => run.flags(None).and_then(eval::explain),
        Command::Graph {
            expr,
            inputs,
            args,
            out,
            memory_limit,
        } => eval::graph(
            eval::RunFlags {
                program: blaze::runtime::session::Program::Expr(expr),
                inputs,
                args,
                engine: "jit".into(),
                threads: None,
                memory_limit,
            },
            out.as_deref(),
        ),
        Command::Demo {
            size,
            cols,
            path,
            memory_limit,
            threads,
            datashapes,
            no_cache,
        } => {
            if no_cache {
                blaze::codegen::disk_cache::set_enabled(false);
            }
            demo::run(demo::DemoOptions {
                datashapes,
                size,
                cols,
                path,
                memory_limit,
                threads,
            })
        }
        Command::Build {
            file,
            out,
            header,
            defs,
            target_cpu,
            target,
        } => build::run(
            &file,
            &out,
            &header,
            &defs,
            target.as_deref(),
            target_cpu.as_deref(),
        ),
        Command::Config { libs, archive } => config::run(libs, archive),
        Command::Cache { action } => match action {
            CacheAction::Info { json } => cache::info(json),
            CacheAction::Clear => cache::clear(),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            out::err(format_args!("{e}"));
            ExitCode::FAILURE
        }
    }
}

fn origin(i: usize, total: usize) -> String {
    if total == 1 {
        "<datashape>".to_string()
    } else {
        format!("<datashape {}>", i + 1)
    }
}

fn error_json(err: &Error, src: &str) -> serde_json::Value {
    let line = src[..err.span.start.min(src.len())].matches('\n').count() + 1;
    json!({
        "kind": err.kind.name(),
        "message": err.message,
        "span": [err.span.start, err.span.end],
        "line": line,
    })
}

fn cmd_datashape(inputs: &[String], as_json: bool, expand: bool) -> Result<(), CliError> {
    let mut env = TypeEnv::new();
    let mut errors = String::new();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for (i, src) in inputs.iter().enumerate() {
        let parsed = parse_module(src, &mut env).and_then(|m| {
            if m.defined.is_empty() && m.datashape.is_none() {
                Err(Error::new(
                    ErrorKind::Syntax,
                    "expected a datashape, found end of input",
                    Span::new(src.len(), src.len()),
                ))
            } else {
                Ok(m)
            }
        });
        match parsed {
            Ok(module) => {
                let defs: Vec<String> = module
                    .defined
                    .iter()
                    .filter_map(|n| env.get(n).map(|d| d.to_string()))
                    .collect();
                let shown = module.datashape.map(|p| {
                    if expand {
                        env.expand(&p.datashape)
                    } else {
                        p.datashape
                    }
                });
                if as_json {
                    let v = json!({
                        "input": src,
                        "ok": true,
                        "definitions": defs,
                        "canonical": shown.as_ref().map(|d| d.to_string()),
                        "datashape": shown,
                    });
                    let _ = writeln!(out, "{v}");
                } else {
                    for d in &defs {
                        let _ = writeln!(out, "{d}");
                    }
                    if let Some(ds) = shown {
                        let _ = writeln!(out, "{ds}");
                    }
                }
            }
            Err(err) => {
                if as_json {
                    let v = json!({"input": src, "ok": false, "error": error_json(&err, src)});
                    let _ = writeln!(out, "{v}");
                }
                errors.push_str(&err.render(src, &origin(i, inputs.len())));
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(CliError::Rendered(errors))
    }
}

/// Parses one operand of `unify`: definitions (added to `env`) and a
/// datashape, which must be there.
fn operand(src: &str, name: &str, env: &mut TypeEnv) -> Result<Parsed, Error> {
    let module = parse_module(src, env)?;
    module.datashape.ok_or_else(|| {
        Error::new(
            ErrorKind::Syntax,
            format!("expected a datashape in the {name} operand, found end of input"),
            Span::new(src.len(), src.len()),
        )
    })
}

fn cmd_unify(left: &str, right: &str, as_json: bool) -> Result<(), CliError> {
    let mut env = TypeEnv::new();
    let sources = [left, right];
    let origins = ["<left>", "<right>"];
    let mut parsed: Vec<Parsed> = Vec::with_capacity(2);
    for (k, src) in sources.iter().enumerate() {
        match operand(src, &origins[k][1..origins[k].len() - 1], &mut env) {
            Ok(p) => parsed.push(p),
            Err(err) => {
                if as_json {
                    outln!(
                        "{}",
                        json!({"ok": false, "operand": k, "error": error_json(&err, src)})
                    );
                }
                return Err(CliError::Rendered(err.render(src, origins[k])));
            }
        }
    }
    match unify(&parsed[0].datashape, &parsed[1].datashape, &env) {
        Ok(ds) => {
            if as_json {
                outln!(
                    "{}",
                    json!({"ok": true, "canonical": ds.to_string(), "datashape": ds})
                );
            } else {
                outln!("{ds}");
            }
            Ok(())
        }
        Err(err) => {
            if as_json {
                outln!("{}", json!({"ok": false, "error": err}));
            }
            Err(CliError::Rendered(render_unify_error(
                &err, &sources, &origins, &parsed,
            )))
        }
    }
}

/// The message, then a caret under each place the error is about.
fn render_unify_error(
    err: &UnifyError,
    sources: &[&str],
    origins: &[&str],
    parsed: &[Parsed],
) -> String {
    let mut out = format!("error[{}]: {}\n", err.kind, err.message);
    let mut shown: Vec<Location> = Vec::new();
    for loc in &err.locations {
        if shown.contains(loc) || loc.operand >= parsed.len() {
            continue;
        }
        shown.push(*loc);
        let p = &parsed[loc.operand];
        let span = match loc.site {
            Site::Dim(i) => p.dim_spans.get(i).copied().unwrap_or(p.span),
            Site::Measure => p.measure_span,
        };
        out.push_str(&snippet(sources[loc.operand], origins[loc.operand], span));
    }
    out
}

/// Canonical text of a datashape source, for the demo.
pub(crate) fn canonical(src: &str, env: &mut TypeEnv) -> Result<Option<Datashape>, Error> {
    parse_module(src, env).map(|m| m.datashape.map(|p| p.datashape))
}
