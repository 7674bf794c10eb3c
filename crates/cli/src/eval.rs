//! `blaze eval`, `blaze explain` and `blaze graph`: flags turned into a
//! [`Session`] and a request, the answer rendered. What runs where is the
//! session's decision; nothing here opens an input or plans a run.

use crate::error::CliError;
use crate::progress::Bar;
use blaze::codegen::Dumps;
use blaze::interp::format_value;
use blaze::runtime::error::human;
use blaze::runtime::session::{Engine, InputSpec, Program, RunReport};
use blaze::runtime::Session;
use serde_json::json;
use std::path::Path;

/// The flags of every command that runs (or plans) a program on inputs.
pub(crate) struct RunFlags {
    pub program: Program,
    pub inputs: Vec<String>,
    pub args: Vec<String>,
    pub engine: String,
    pub threads: Option<usize>,
    pub memory_limit: Option<u64>,
}

impl RunFlags {
    /// The program with the `--arg` values bound.
    fn program(&self) -> Result<Program, CliError> {
        crate::bind::bind_values(&self.program, &self.args, &self.inputs)
    }

    /// The session these flags ask for, and the named inputs.
    fn session(&self) -> Result<(Session, Vec<InputSpec>), CliError> {
        let engine = match self.engine.as_str() {
            "interp" => Engine::Interp,
            "jit" => Engine::Jit,
            other => {
                return Err(CliError::Usage(format!(
                    "unknown engine `{other}`: expected `jit` or `interp`"
                )))
            }
        };
        let mut session = Session::new().engine(engine);
        match self.threads {
            Some(0) => return Err(CliError::Usage("`--threads` must be at least 1".into())),
            Some(n) if n > blaze::runtime::exec::MAX_THREADS => {
                return Err(CliError::Usage(format!(
                    "`--threads {n}` is more than the {} worker threads allowed",
                    blaze::runtime::exec::MAX_THREADS
                )))
            }
            Some(n) => session = session.threads(n),
            None => {}
        }
        if let Some(limit) = self.memory_limit {
            session = session.memory_limit(limit);
        }
        let specs = self
            .inputs
            .iter()
            .map(|s| InputSpec::parse(s))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((session, specs))
    }
}

/// Options of `blaze eval`.
pub(crate) struct EvalOptions {
    pub run: RunFlags,
    pub out: Option<String>,
    pub append: bool,
    pub dump_ir: bool,
    pub emit: Vec<String>,
    pub timings: bool,
    pub repeat: usize,
}

pub(crate) fn run(opts: EvalOptions) -> Result<(), CliError> {
    let (session, specs) = opts.run.session()?;
    let program = opts.run.program()?;
    // `BLAZE_DUMP` asks for the same texts as the flags.
    let mut dumps = Dumps::from_env();
    let dump_ir = opts.dump_ir
        || std::env::var("BLAZE_DUMP").is_ok_and(|v| v.split(',').any(|x| x.trim() == "ir"));
    for e in &opts.emit {
        match e.as_str() {
            "llvm-ir" => dumps.ir = true,
            "opt-ir" => dumps.opt_ir = true,
            "asm" => dumps.asm = true,
            other => {
                return Err(CliError::Usage(format!(
                    "unknown `--emit {other}`: expected llvm-ir, opt-ir or asm"
                )))
            }
        }
    }
    if opts.repeat == 0 {
        return Err(CliError::Usage("`--repeat` must be at least 1".into()));
    }
    // What `--out` would replace (or an append add to) is checked before
    // anything runs.
    if let Some(out) = &opts.out {
        let path = Path::new(out);
        let checked = if opts.append {
            blaze::runtime::io::append::target(path).and_then(|t| match t {
                blaze::runtime::io::append::Target::Create(p) => {
                    blaze::runtime::io::check_output(&p)
                }
                _ => Ok(()),
            })
        } else {
            blaze::runtime::io::check_output(path)
        };
        checked.map_err(|e| CliError::Tagged("output", e.to_string()))?;
    }
    let mut session = session.dumps(dumps).repeat(opts.repeat).append(opts.append);
    let bar = Bar::new("{spinner}");
    if let Some(b) = bar.clone() {
        session = session.on_progress(move |done, rows| b.set(done, rows));
    }
    let outcome = session.run(&program, &specs, opts.out.as_deref().map(Path::new));
    if let Some(b) = &bar {
        b.clear();
    }
    let outcome = outcome?;
    let report = &outcome.report;
    if dump_ir {
        errln!("{}", report.ir);
        for c in &report.calls {
            errln!("; call {c}");
        }
    }
    for k in &report.kernels {
        for (want, text) in [
            (dumps.ir, &k.ir),
            (dumps.opt_ir, &k.opt_ir),
            (dumps.asm, &k.asm),
        ] {
            if let (true, Some(text)) = (want, text) {
                errln!("; kernel {} — {}\n{text}", k.name, k.key);
            }
        }
    }
    if opts.timings {
        errln!("{}", timings(report));
    }
    if let Some(v) = &outcome.value {
        outln!("{}", format_value(v));
    }
    Ok(())
}

/// The `--timings` JSON: seconds of each phase, how the run went, and the
/// operations that ran on the reference kernels.
fn timings(r: &RunReport) -> serde_json::Value {
    let mut t = json!({
        "engine": r.engine.name(),
        "parse": r.parse_seconds,
        "check": r.check_seconds,
        "compile": r.compile_seconds,
        "execute": r.execute_seconds,
        "repeat": r.repeat,
        "total": r.total_seconds,
        "fallbacks": r.fallbacks,
    });
    crate::cache::timings(r, &mut t);
    if r.streamed {
        t["streamed"] = json!(true);
        t["memory_limit"] = json!(r.memory_limit);
        t["blocks"] = json!(r.blocks);
        t["block_rows"] = json!(r.block_rows);
        t["read_wait"] = json!(r.read_wait_seconds);
    }
    t
}

/// `blaze explain`: the IR the engine would run and the plan, without
/// running it.
pub(crate) fn explain(flags: RunFlags) -> Result<(), CliError> {
    let (session, specs) = flags.session()?;
    let e = session.explain(&flags.program()?, &specs)?;
    match e.memory_limit {
        Some(limit) => outln!("# streamed out of core within {}", human(limit)),
        None => outln!("# in memory"),
    }
    outln!("{}", e.ir.trim_end());
    if !e.plan.is_empty() {
        outln!("{}", e.plan.trim_end());
    }
    Ok(())
}

/// `blaze graph`: the task graph of a streamed run, one task a line.
pub(crate) fn graph(flags: RunFlags, out: Option<&str>) -> Result<(), CliError> {
    let (session, specs) = flags.session()?;
    let (plan, limit) = session.stream_plan(&flags.program()?, &specs)?;
    match (plan.rows(), plan.blocks()) {
        (Some(rows), Some(blocks)) => outln!(
            "# {rows} rows in {blocks} blocks of {} rows, memory limit {}",
            plan.block_rows(),
            human(limit)
        ),
        _ => outln!(
            "# rows known at the end of the input, in blocks of {} rows, memory limit {}",
            plan.block_rows(),
            human(limit)
        ),
    }
    for line in plan.tasks(out) {
        outln!("{line}");
    }
    Ok(())
}
