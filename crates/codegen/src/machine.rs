//! The one path from LLVM IR to optimized host code, shared by the JIT
//! (`jit.rs`) and ahead-of-time objects (`aot`): the native target
//! initialized, the host read ([`native_host`]), a target machine for the
//! host's CPU and features, each module given its triple and data layout,
//! verification, the `default<O3>` pipeline, and assembly or object text.
//!
//! It knows nothing of kernels (`llvm`) or of how the code is then loaded
//! (ORC for the JIT, an object file for `blaze build`).

use crate::error::Unsupported;
use crate::target::Host;
use inkwell::context::Context;
use inkwell::memory_buffer::MemoryBuffer;
use inkwell::module::Module;
use inkwell::passes::PassBuilderOptions;
use inkwell::targets::{
    CodeModel, FileType, InitializationConfig, RelocMode, Target, TargetMachine, TargetTriple,
};
use inkwell::OptimizationLevel;
use std::path::Path;

/// The pass pipeline every kernel and object goes through.
const PIPELINE: &str = "default<O3>";

/// Initializes LLVM's native target and reads the host; vector math is on
/// unless `BLAZE_VECTOR_MATH=0`.
pub(crate) fn native_host() -> Result<Host, Unsupported> {
    Target::initialize_native(&InitializationConfig::default())
        .map_err(|e| Unsupported(format!("LLVM cannot target this machine: {e}")))?;
    let vector_math = std::env::var("BLAZE_VECTOR_MATH").map_or(true, |v| v != "0");
    Ok(Host::detect(vector_math))
}

/// Checks a module that was just generated.
pub(crate) fn verify(module: &Module<'_>) -> Result<(), Unsupported> {
    module
        .verify()
        .map_err(|e| Unsupported(format!("generated IR does not verify: {e}")))
}

/// A target machine for the host CPU and features, at `O3`.
pub(crate) struct Machine {
    tm: TargetMachine,
    triple: TargetTriple,
}

impl Machine {
    /// The machine for `host`; `reloc` and `model` are the JIT's defaults
    /// or position-independent code for objects.
    pub(crate) fn new(
        host: &Host,
        reloc: RelocMode,
        model: CodeModel,
    ) -> Result<Machine, Unsupported> {
        let triple = TargetMachine::get_default_triple();
        let target = Target::from_triple(&triple).map_err(|e| Unsupported(e.to_string()))?;
        let tm = target
            .create_target_machine(
                &triple,
                &host.cpu,
                &host.features,
                OptimizationLevel::Aggressive,
                reloc,
                model,
            )
            .ok_or_else(|| Unsupported("cannot create a target machine for this CPU".into()))?;
        Ok(Machine { tm, triple })
    }

    /// The machine for `host` on the target `triple` (ahead-of-time
    /// objects for another CPU or architecture; its LLVM target must be
    /// initialized).
    pub(crate) fn for_triple(
        triple: &str,
        host: &Host,
        reloc: RelocMode,
        model: CodeModel,
    ) -> Result<Machine, Unsupported> {
        let triple = TargetTriple::create(triple);
        let target = Target::from_triple(&triple).map_err(|e| Unsupported(e.to_string()))?;
        let tm = target
            .create_target_machine(
                &triple,
                &host.cpu,
                &host.features,
                OptimizationLevel::Aggressive,
                reloc,
                model,
            )
            .ok_or_else(|| {
                Unsupported(format!(
                    "cannot create a target machine for CPU `{}` of `{}`",
                    host.cpu,
                    triple.as_str().to_string_lossy()
                ))
            })?;
        Ok(Machine { tm, triple })
    }

    /// A new module for this machine: its triple and data layout set.
    pub(crate) fn module<'ctx>(&self, ctx: &'ctx Context, name: &str) -> Module<'ctx> {
        let module = ctx.create_module(name);
        module.set_triple(&self.triple);
        module.set_data_layout(&self.tm.get_target_data().get_data_layout());
        module
    }

    /// Runs the optimization pipeline over `module`.
    pub(crate) fn optimize(&self, module: &Module<'_>) -> Result<(), Unsupported> {
        module
            .run_passes(PIPELINE, &self.tm, PassBuilderOptions::create())
            .map_err(|e| Unsupported(format!("optimization failed: {e}")))
    }

    /// The assembly of `module`.
    pub(crate) fn assembly(&self, module: &Module<'_>) -> Result<String, Unsupported> {
        let buf = self
            .tm
            .write_to_memory_buffer(module, FileType::Assembly)
            .map_err(|e| Unsupported(e.to_string()))?;
        Ok(String::from_utf8_lossy(buf.as_slice()).into_owned())
    }

    /// The object file of `module`, in memory.
    pub(crate) fn object(&self, module: &Module<'_>) -> Result<MemoryBuffer<'_>, Unsupported> {
        self.tm
            .write_to_memory_buffer(module, FileType::Object)
            .map_err(|e| Unsupported(format!("cannot emit the object: {e}")))
    }

    /// Writes `module` as an object file at `path`.
    pub(crate) fn write_object(&self, module: &Module<'_>, path: &Path) -> Result<(), Unsupported> {
        self.tm
            .write_to_file(module, FileType::Object, path)
            .map_err(|e| Unsupported(format!("cannot write {}: {e}", path.display())))
    }
}
