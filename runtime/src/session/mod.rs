//! [`Session`]: runs a program on named files. It owns what is between
//! the user's request and the engines: the inputs opened once, bound to the
//! function's parameters, the decision to run in memory or streamed within
//! a memory limit, compiling, running (with repeats and dumps on either
//! path), writing the result, and the report.
//!
//! The rule: a run streams when a memory limit is given or the inputs are
//! larger than the default limit (half of the machine's memory); a program
//! that cannot stream runs in memory only when its inputs take less than a
//! quarter of the limit. Argument parsing and rendering are the callers'.
//!
//! ```no_run
//! use blaze_runtime::Session;
//! // `A.T @ A` of a file larger than memory, within 1 GiB, to `g.npy`.
//! let outcome = Session::new()
//!     .memory_limit(1 << 30)
//!     .eval("A.T @ A", &[("A", "a.npy")], Some("g.npy"))
//!     .unwrap();
//! assert!(outcome.report.streamed);
//! ```

mod bind;
mod compile;
mod memory;
mod report;
mod spec;

pub use compile::{check, Program};
pub use memory::{default_limit, total_memory};
pub use report::{Explanation, Outcome, RunReport};
pub use spec::InputSpec;

use crate::error::{Error, OutputError, StreamError};
use crate::exec::{prepare, Options};
use crate::io;
use crate::stream::{self, Input, StreamPlan};
use bind::{all_types, by_params, reopened, Opened};
use blaze_codegen::Dumps;
use blaze_datashape::Datashape;
use blaze_interp::{eval, Value};
use blaze_ir::Function;
use std::path::Path;
use std::time::Instant;

/// Which engine runs a program.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Engine {
    /// Compiled LLVM kernels and BLAS/LAPACK (the default).
    #[default]
    Jit,
    /// The reference interpreter.
    Interp,
}

impl Engine {
    /// `jit` or `interp`.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Jit => "jit",
            Engine::Interp => "interp",
        }
    }
}

/// A progress callback: rows done, and all rows when known.
pub type Progress = dyn Fn(usize, Option<usize>) + Send + Sync;

/// How to run programs on files; see the [module documentation](self).
pub struct Session {
    threads: Option<usize>,
    memory_limit: Option<u64>,
    engine: Engine,
    dumps: Dumps,
    repeat: usize,
    types: Vec<(String, Datashape)>,
    block_rows: Option<usize>,
    progress: Option<Box<Progress>>,
    append: bool,
}

impl Default for Session {
    fn default() -> Session {
        Session::new()
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("threads", &self.threads)
            .field("memory_limit", &self.memory_limit)
            .field("engine", &self.engine)
            .field("repeat", &self.repeat)
            .field("types", &self.types)
            .field("block_rows", &self.block_rows)
            .field("append", &self.append)
            .finish_non_exhaustive()
    }
}

/// How a run goes.
enum Decision {
    /// Streamed, bound and planned.
    Stream(Box<Streamed>),
    /// In memory, with the inputs opened.
    Memory(Opened),
}

/// A streamed run bound and planned.
struct Streamed {
    function: Function,
    plan: StreamPlan,
    inputs: Vec<Input>,
    limit: u64,
    check_seconds: f64,
}

impl Session {
    /// Defaults: the JIT, one thread per core, no memory limit (inputs
    /// larger than half of the machine's memory stream), one run.
    pub fn new() -> Session {
        Session {
            threads: None,
            memory_limit: None,
            engine: Engine::Jit,
            dumps: Dumps::default(),
            repeat: 1,
            types: Vec::new(),
            block_rows: None,
            progress: None,
            append: false,
        }
    }

    /// Worker threads (at least 1).
    pub fn threads(mut self, threads: usize) -> Session {
        self.threads = Some(threads.max(1));
        self
    }

    /// Stream within `bytes` of memory.
    pub fn memory_limit(mut self, bytes: u64) -> Session {
        self.memory_limit = Some(bytes);
        self
    }

    /// The engine (streamed runs always use the JIT).
    pub fn engine(mut self, engine: Engine) -> Session {
        self.engine = engine;
        self
    }

    /// Kernel texts to keep in the report (LLVM IR, optimized IR, assembly).
    pub fn dumps(mut self, dumps: Dumps) -> Session {
        self.dumps = dumps;
        self
    }

    /// Runs `n` times (at least 1); the report's `execute` is the best.
    pub fn repeat(mut self, n: usize) -> Session {
        self.repeat = n.max(1);
        self
    }

    /// Types of an expression's names that have no input file.
    pub fn types(mut self, types: Vec<(String, Datashape)>) -> Session {
        self.types = types;
        self
    }

    /// Rows per block of a streamed run, instead of what the memory limit
    /// gives.
    pub fn block_rows(mut self, rows: usize) -> Session {
        self.block_rows = Some(rows.max(1));
        self
    }

    /// Appends the result to what is at the output path instead of
    /// replacing it ([`io::append`]): its rows added to a `.npy` file or a
    /// Zarr array (block by block when streamed), or a new Parquet file in
    /// a directory of them; a missing destination is created. The element
    /// type and the dimensions after the rows must match, else the run
    /// stops before anything is written.
    pub fn append(mut self, on: bool) -> Session {
        self.append = on;
        self
    }

    /// Called after every block of a streamed run.
    pub fn on_progress(
        mut self,
        f: impl Fn(usize, Option<usize>) + Send + Sync + 'static,
    ) -> Session {
        self.progress = Some(Box::new(f));
        self
    }

    /// Evaluates the expression `expr` on named files (`("A", "a.npy")`;
    /// a CSV path carries the datashape of its rows, `"p.csv:var * {…}"`),
    /// writing the result to `out` when given (`.npy`, or Zarr for
    /// `….zarr`) or returning it.
    pub fn eval(
        &self,
        expr: &str,
        inputs: &[(&str, &str)],
        out: Option<&str>,
    ) -> Result<Outcome, Error> {
        let specs = inputs
            .iter()
            .map(|(n, p)| InputSpec::parse(&format!("{n}={p}")))
            .collect::<Result<Vec<_>, _>>()?;
        self.run(&Program::expr(expr), &specs, out.map(Path::new))
    }

    fn limit(&self) -> u64 {
        self.memory_limit.unwrap_or_else(default_limit)
    }

    /// Whether a run of these inputs should stream.
    fn wants_stream(&self, opened: &Opened) -> bool {
        self.engine == Engine::Jit
            && (self.memory_limit.is_some() || opened.bytes() > default_limit())
    }

    /// Runs `program` on `inputs`, the result to `out` when given.
    pub fn run(
        &self,
        program: &Program,
        inputs: &[InputSpec],
        out: Option<&Path>,
    ) -> Result<Outcome, Error> {
        let t_start = Instant::now();
        // No single allocation of the run may exceed the memory limit.
        let _limit = blaze_array::alloc::limit_scope(self.memory_limit);
        let target = match out.filter(|_| self.append) {
            Some(path) => Some(io::append::target(path).map_err(OutputError::Io)?),
            None => None,
        };
        let out = target.as_ref().map(|t| t.path()).or(out);
        match self.decide(program, inputs)? {
            Decision::Stream(s) => self.run_streamed(*s, out, target.as_ref(), t_start),
            Decision::Memory(opened) => {
                self.run_in_memory(program, opened, out, target.as_ref(), t_start)
            }
        }
    }

    /// Opens the inputs and decides: streamed (bound and planned) when
    /// asked for or needed and the program can stream; in memory when it
    /// was not needed, or when it cannot stream and the inputs take less
    /// than a quarter of the limit.
    fn decide(&self, program: &Program, inputs: &[InputSpec]) -> Result<Decision, Error> {
        // A stream is read once: checked before anything is opened.
        for (k, spec) in inputs.iter().enumerate() {
            if !io::stream::is_stream(&spec.path) {
                continue;
            }
            if let Some(other) = inputs[..k].iter().find(|o| o.path == spec.path) {
                return Err(Error::Stream(StreamError::Program(format!(
                    "`{}` and `{}` read the same stream `{}`, which is read once",
                    other.name,
                    spec.name,
                    spec.path.display()
                ))));
            }
        }
        let opened = Opened::open(inputs)?;
        let streams: Vec<(String, std::path::PathBuf)> = opened
            .sources
            .iter()
            .filter(|(_, s)| s.is_stream())
            .map(|(n, s)| (n.clone(), s.path().to_path_buf()))
            .collect();
        if !self.wants_stream(&opened) {
            return Ok(Decision::Memory(opened));
        }
        let limit = self.limit();
        match self.bind_streamed(program, opened, limit)? {
            Ok(s) => match streams.first() {
                Some((name, _)) if self.repeat > 1 => Err(Error::Stream(StreamError::Program(
                    format!("`{name}` is a stream, read once: a streamed run cannot repeat"),
                ))),
                _ => Ok(Decision::Stream(Box::new(s))),
            },
            Err((why, back)) if back.bytes() > limit / 4 => {
                Err(Error::Memory { limit, reason: why })
            }
            // A stream's size is not known before it is read: within a
            // limit, it is not read whole.
            Err((why, _)) if self.memory_limit.is_some() && !streams.is_empty() => {
                Err(Error::Memory {
                    limit,
                    reason: StreamError::Program(format!(
                        "{why}; `{}` is a stream of unknown size, read whole only without a memory limit",
                        streams[0].0
                    )),
                })
            }
            Err((_, back)) => Ok(Decision::Memory(back)),
        }
    }

    /// The streamed plan of `program` on `inputs` (for the task graph),
    /// within the memory limit (default: half of the machine's memory).
    pub fn stream_plan(
        &self,
        program: &Program,
        inputs: &[InputSpec],
    ) -> Result<(StreamPlan, u64), Error> {
        let limit = self.limit();
        match self.bind_streamed(program, Opened::open(inputs)?, limit)? {
            Ok(s) => Ok((s.plan, limit)),
            Err((why, _)) => Err(Error::Stream(why)),
        }
    }

    /// What a run would do, without reading data or compiling kernels: the
    /// IR the engine runs and the plan, streamed or in memory.
    pub fn explain(&self, program: &Program, inputs: &[InputSpec]) -> Result<Explanation, Error> {
        let opened = match self.decide(program, inputs)? {
            Decision::Stream(s) => {
                return Ok(Explanation {
                    streamed: true,
                    memory_limit: Some(s.limit),
                    ir: prepare(&s.function).function().to_string(),
                    plan: s.plan.to_string(),
                })
            }
            Decision::Memory(opened) => opened,
        };
        let types = if program.is_expr() {
            all_types(
                &self.types,
                opened.header_types().iter().map(|(n, t)| (n, t)),
            )?
        } else {
            Vec::new()
        };
        let function = compile::chosen(program, check(program, &types)?)?;
        let names: Vec<(String, ())> = opened
            .sources
            .iter()
            .map(|(n, _)| (n.clone(), ()))
            .collect();
        by_params(&function, names, program.is_expr())?;
        let prepared = prepare(&function);
        Ok(match self.engine {
            Engine::Jit => Explanation {
                streamed: false,
                memory_limit: None,
                ir: prepared.function().to_string(),
                plan: prepared.to_string(),
            },
            Engine::Interp => Explanation {
                streamed: false,
                memory_limit: None,
                ir: function.to_string(),
                plan: "the reference interpreter runs every node".into(),
            },
        })
    }

    /// Types the inputs for streaming, checks, binds and plans.
    /// `Ok(Err(..))`: the program cannot stream, with the inputs back.
    #[allow(clippy::type_complexity)]
    fn bind_streamed(
        &self,
        program: &Program,
        opened: Opened,
        limit: u64,
    ) -> Result<Result<Streamed, (StreamError, Opened)>, Error> {
        if !program.is_expr() {
            let why =
                "out-of-core runs take an expression (`-e`); a module's definitions run in memory";
            return Ok(Err((StreamError::Program(why.into()), opened)));
        }
        let typed = opened.for_stream();
        let types = all_types(&self.types, typed.iter().map(|(n, t, _)| (n, t)))?;
        let t = Instant::now();
        let function = compile::chosen(program, check(program, &types)?)?;
        let check_seconds = t.elapsed().as_secs_f64();
        let named: Vec<(String, Input)> = typed.into_iter().map(|(n, _, i)| (n, i)).collect();
        let (names, mut inputs): (Vec<String>, Vec<Input>) =
            by_params(&function, named, true)?.into_iter().unzip();
        // Files stacked by levels the program reduces together stream one
        // file a row; the stacked input stays for whatever else runs, and
        // the reason that plan fails is the one to give.
        let mut merged_failed = None;
        if let Some((mut merged, p, rows)) = bind::files_as_rows(&function, &inputs) {
            let mut flat = inputs;
            let stacked = std::mem::replace(&mut flat[p], rows);
            bind::project_fields(&mut merged, &mut flat);
            match stream::plan(&merged, &flat, limit, self.block_rows) {
                Ok(plan) => {
                    return Ok(Ok(Streamed {
                        function: merged,
                        plan,
                        inputs: flat,
                        limit,
                        check_seconds,
                    }))
                }
                Err(why) => merged_failed = Some(why),
            }
            flat[p] = stacked;
            inputs = flat;
        }
        let mut function = function;
        bind::project_fields(&mut function, &mut inputs);
        match stream::plan(&function, &inputs, limit, self.block_rows) {
            Ok(plan) => Ok(Ok(Streamed {
                function,
                plan,
                inputs,
                limit,
                check_seconds,
            })),
            Err(why) => Ok(Err((
                merged_failed.unwrap_or(why),
                reopened(names.into_iter().zip(inputs).collect()),
            ))),
        }
    }

    fn options(&self, first: bool) -> Options {
        Options {
            threads: self.threads,
            dumps: if first { self.dumps } else { Dumps::default() },
            print_dumps: false,
            ..Options::default()
        }
    }

    fn run_streamed(
        &self,
        mut s: Streamed,
        out: Option<&Path>,
        target: Option<&io::append::Target>,
        t_start: Instant,
    ) -> Result<Outcome, Error> {
        if let Some(t) = target {
            t.check(s.function.result_type()).map_err(OutputError::Io)?;
            t.prepare().map_err(OutputError::Io)?;
            s.plan.append_rows(t.appends_rows());
        }
        let to_file = out.filter(|_| s.plan.streams_result());
        let inputs = s.inputs;
        let progress = |done: usize, rows: Option<usize>| {
            if let Some(p) = &self.progress {
                p(done, rows)
            }
        };
        let t_run = Instant::now();
        let mut report = RunReport::new(Engine::Jit, self.repeat);
        report.streamed = true;
        report.memory_limit = Some(s.limit);
        report.block_rows = Some(s.plan.block_rows());
        report.parse_seconds = t_run.duration_since(t_start).as_secs_f64() - s.check_seconds;
        report.check_seconds = s.check_seconds;
        report.ir = stream_ir(&s.plan);
        let mut value = None;
        for k in 0..self.repeat {
            let t = Instant::now();
            let r = s
                .plan
                .run(&inputs, to_file, &self.options(k == 0), &progress)?;
            let seconds = t.elapsed().as_secs_f64();
            if seconds < report.execute_seconds {
                report.read_wait_seconds = Some(r.read_wait_seconds);
            }
            report.execute_seconds = report.execute_seconds.min(seconds);
            report.compile_seconds += r.report.compile_seconds;
            report.blocks = Some(r.blocks);
            if k == 0 {
                report.kernels = r.report.kernels;
                report.calls = r.report.calls;
                report.fallbacks = r.report.fallbacks;
            }
            value = r.value;
        }
        let value = self.deliver(value, out, target, s.function.result_type())?;
        report.total_seconds = t_start.elapsed().as_secs_f64();
        Ok(Outcome { value, report })
    }

    fn run_in_memory(
        &self,
        program: &Program,
        opened: Opened,
        out: Option<&Path>,
        target: Option<&io::append::Target>,
        t_start: Instant,
    ) -> Result<Outcome, Error> {
        let read = opened.read_all()?;
        let types = if program.is_expr() {
            all_types(&self.types, read.iter().map(|(n, t, _)| (n, t)))?
        } else {
            Vec::new()
        };
        let t_check = Instant::now();
        let function = compile::chosen(program, check(program, &types)?)?;
        if let Some(t) = target {
            t.check(function.result_type()).map_err(OutputError::Io)?;
            t.prepare().map_err(OutputError::Io)?;
        }
        let mut report = RunReport::new(self.engine, self.repeat);
        report.parse_seconds = t_check.duration_since(t_start).as_secs_f64();
        report.check_seconds = t_check.elapsed().as_secs_f64();
        let named = read.into_iter().map(|(n, _, v)| (n, v)).collect();
        let values: Vec<Value> = by_params(&function, named, program.is_expr())?
            .into_iter()
            .map(|(_, v)| v)
            .collect();
        let prepared = prepare(&function);
        report.ir = match self.engine {
            Engine::Jit => prepared.function().to_string(),
            Engine::Interp => function.to_string(),
        };
        let mut value = None;
        for k in 0..self.repeat {
            let t = Instant::now();
            let v = match self.engine {
                Engine::Jit => {
                    let (v, r) = prepared.run(&values, &self.options(k == 0))?;
                    report.compile_seconds += r.compile_seconds;
                    if k == 0 {
                        report.kernels = r.kernels;
                        report.calls = r.calls;
                        report.fallbacks = r.fallbacks;
                    }
                    v
                }
                Engine::Interp => eval(&function, &values)?,
            };
            report.execute_seconds = report.execute_seconds.min(t.elapsed().as_secs_f64());
            value = Some(v);
        }
        let value = self.deliver(value, out, target, function.result_type())?;
        report.total_seconds = t_start.elapsed().as_secs_f64();
        Ok(Outcome { value, report })
    }

    /// Writes `value` to `out` when both are there; what is not written is
    /// returned.
    /// `ty` is the result's datashape: a table gets its columns' types
    /// from it (a `?string` column is nullable even when nothing is
    /// missing).
    fn deliver(
        &self,
        value: Option<Value>,
        out: Option<&Path>,
        target: Option<&io::append::Target>,
        ty: &Datashape,
    ) -> Result<Option<Value>, Error> {
        match (value, out) {
            (Some(v), Some(path)) if target.is_some_and(|t| t.appends_rows()) => {
                io::append::append_value(path, &v).map_err(OutputError::Io)?;
                Ok(None)
            }
            (Some(v), Some(path))
                if io::Format::by_name(path).table().is_some() && !ty.dims.is_empty() =>
            {
                let mut sink = io::create_values(path, ty).map_err(OutputError::Io)?;
                sink.write_value(&v).map_err(OutputError::Io)?;
                sink.finish().map_err(OutputError::Io)?;
                Ok(None)
            }
            (Some(v), Some(path))
                if io::Format::by_name(path).table().is_some()
                    || matches!(v, Value::Column(_) | Value::Record(_)) =>
            {
                // Table formats hold any value; `.npy` refuses what is not
                // numbers, naming the formats that hold it.
                io::write_value(path, &v).map_err(OutputError::Io)?;
                Ok(None)
            }
            (Some(v), Some(path)) => match v {
                Value::Array {
                    data,
                    missing: None,
                } => {
                    io::write(path, &data).map_err(OutputError::Io)?;
                    Ok(None)
                }
                Value::Array { .. } => Err(OutputError::Missing.into()),
                _ => Err(OutputError::NotAnArray.into()),
            },
            (v, _) => Ok(v),
        }
    }
}

/// The IR a streamed run executes: the block function of each pass and
/// the tail.
fn stream_ir(plan: &StreamPlan) -> String {
    let mut text = String::new();
    for k in 0..plan.passes() {
        if let Some(f) = plan.pass_function(k) {
            if !text.is_empty() {
                text.push('\n');
            }
            match plan.passes() {
                1 => text.push_str(&format!("; block function\n{f}")),
                n => text.push_str(&format!("; block function, pass {} of {n}\n{f}", k + 1)),
            }
        }
    }
    if let Some(t) = plan.tail_function() {
        text.push_str(&format!("\n; tail\n{t}"));
    }
    text
}
