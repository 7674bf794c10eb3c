//! # blaze-capi
//!
//! blaze's C ABI (`libblaze_capi.so`, `libblaze_capi.a`; header
//! `include/blaze.h`, generated from this crate by cbindgen): compile a
//! module or an expression from source, look kernels up, read their
//! signatures as datashapes, call them on DLPack tensors, dump what was
//! generated.
//!
//! ```text
//! C caller ──DLTensor*──► view (checked: pointers, device, dtype, rank,
//!                          │      lengths, alignment, stride extent)
//!                          ▼
//!              views of the caller's memory ──► blaze::Kernel::call_into ──► the caller's
//!                          │                     (kernels write in place)      output DLTensor
//!                          └──────────────────► blaze::Kernel::call ──► a DLManagedTensor over
//!                                                                       blaze's result (moved)
//! ```
//!
//! **API boundary:** every exported function runs inside
//! `error::guard`: no panic unwinds into C, every failure is a
//! [`BlazeStatus`] plus a message kept per thread. Handles are tokens
//! checked against a table (module `handle`), never dereferenced, so a freed or
//! foreign handle is an error rather than undefined behaviour. Inputs are
//! read in place (booleans are copied); an output is written in place,
//! through a temporary only when it shares memory with an input.
//!
//! **Stack:** the C ABI runs on the caller's thread and needs little of its
//! stack: about 64 KiB. Compiling (`blaze_compile`, `blaze_compile_expr`)
//! runs on a stack segment of its own (128 MiB of address space, touched
//! only as deep as the program nests), and every recursive walk of blaze
//! moves to a fresh segment when the current one runs low, so a thread with
//! a 256 KiB stack is enough for any program. Programs nested deeper than
//! 256 levels (brackets, prefix operators, `let`) are refused with
//! `BLAZE_ERR_COMPILE` and a message naming where.
//!
//! **Thread safety:** every function may be called from any thread, and
//! handles may be shared between threads (a kernel may run on several
//! threads at once). The last error is per thread.

#![warn(missing_docs)]
// Every exported function checks its pointers before use; the few it
// cannot check (lengths of caller arrays) are the C contract, stated in
// each function's documentation.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

mod arrow;
pub mod dlpack;
mod error;
mod handle;
mod kernel;
mod tensor;

pub use arrow::blaze_kernel_call_arrow;
pub use dlpack::{DLDataType, DLDataTypeCode, DLDevice, DLDeviceType, DLManagedTensor, DLTensor};
pub use error::BlazeStatus;

use blaze::datashape::with_front_end_stack;
use blaze::Engine;
use error::{fail, guard, Failure};
use std::collections::HashMap;
use std::ffi::{c_char, CStr, CString};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use BlazeStatus::*;

/// The version of the C ABI this header describes. `blaze_abi_version()`
/// returns the library's; they differ when a program was compiled against
/// another version of the header than the library it runs with.
pub const BLAZE_ABI_VERSION: u32 = 1;

/// An opaque context: the settings kernels are compiled with (thread count,
/// engine).
pub struct BlazeContext {
    _private: [u8; 0],
}

/// An opaque compiled module: its definitions, each a kernel.
pub struct BlazeModule {
    _private: [u8; 0],
}

/// An opaque compiled kernel: a typed function with its execution plan.
pub struct BlazeKernel {
    _private: [u8; 0],
}

/// What `blaze_kernel_emit` prints.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum BlazeEmit {
    /// blaze's typed IR (no inputs needed).
    BLAZE_EMIT_IR = 0,
    /// The LLVM IR of the compiled kernels, as generated.
    BLAZE_EMIT_LLVM_IR = 1,
    /// The LLVM IR after optimization.
    BLAZE_EMIT_OPT_IR = 2,
    /// The host assembly.
    BLAZE_EMIT_ASM = 3,
}

/// Which engine runs the kernels of a context.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum BlazeEngine {
    /// Compiled LLVM kernels (the default).
    BLAZE_ENGINE_JIT = 0,
    /// The reference interpreter.
    BLAZE_ENGINE_INTERP = 1,
}

/// The settings of a context.
pub(crate) struct Context {
    /// Worker threads; 0 for one per core.
    threads: AtomicUsize,
    interp: AtomicBool,
}

impl Context {
    fn settings(&self) -> Settings {
        Settings {
            threads: self.threads.load(Ordering::Relaxed),
            interp: self.interp.load(Ordering::Relaxed),
        }
    }
}

/// A context's settings when a module or kernel was compiled: later
/// changes to the context do not affect it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Settings {
    /// Worker threads; 0 for one per core.
    threads: usize,
    interp: bool,
}

impl Settings {
    fn apply(self, k: blaze::Kernel) -> blaze::Kernel {
        let k = if self.interp {
            k.with_engine(Engine::Interp)
        } else {
            k
        };
        match self.threads {
            0 => k,
            n => k.with_threads(n),
        }
    }
}

/// A compiled module and the names of its definitions.
pub(crate) struct ModuleObj {
    module: blaze::Module,
    names: Vec<CString>,
    settings: Settings,
}

pub(crate) use kernel::{call_failure, KernelObj};

/// Reads a C string argument named `what`.
///
/// # Safety
/// `p`, when non-null, points at a NUL-terminated string.
unsafe fn text<'a>(p: *const c_char, what: &str) -> Result<&'a str, Failure> {
    if p.is_null() {
        return Err(fail(BLAZE_ERR_NULL_POINTER, format!("{what} is NULL")));
    }
    CStr::from_ptr(p).to_str().map_err(|e| {
        fail(
            BLAZE_ERR_INVALID_ARGUMENT,
            format!("{what} is not UTF-8 (byte {})", e.valid_up_to()),
        )
    })
}

/// Checks an out-parameter and clears it, so it holds NULL on failure.
///
/// # Safety
/// `p`, when non-null, is writable.
unsafe fn out_ptr<T>(p: *mut *mut T, what: &str) -> Result<(), Failure> {
    if p.is_null() {
        return Err(fail(BLAZE_ERR_NULL_POINTER, format!("{what} is NULL")));
    }
    *p = std::ptr::null_mut();
    Ok(())
}

/// Writes `v` through out-parameter `p` named `what`.
///
/// # Safety
/// `p`, when non-null, is writable.
unsafe fn put<T>(p: *mut T, v: T, what: &str) -> Result<(), Failure> {
    if p.is_null() {
        return Err(fail(BLAZE_ERR_NULL_POINTER, format!("{what} is NULL")));
    }
    p.write(v);
    Ok(())
}

// ---------------------------------------------------------------------------
// Version and errors

/// The library's version, e.g. "0.1.0" (a static string).
#[no_mangle]
pub extern "C" fn blaze_version() -> *const c_char {
    static VERSION: &CStr =
        match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(v) => v,
            Err(_) => c"unknown",
        };
    VERSION.as_ptr()
}

/// The library's C ABI version; compare with `BLAZE_ABI_VERSION`.
#[no_mangle]
pub extern "C" fn blaze_abi_version() -> u32 {
    BLAZE_ABI_VERSION
}

/// The status of this thread's last blaze call (`BLAZE_OK` after a
/// success).
#[no_mangle]
pub extern "C" fn blaze_last_error_code() -> BlazeStatus {
    error::guard_value(BLAZE_ERR_PANIC, error::last_status)
}

/// The message of this thread's last failed call ("" after a success):
/// what went wrong and where, naming the function, the argument and, for
/// source that does not compile, the diagnostics with the source line and
/// a caret. Owned by blaze; valid until this thread's next blaze call.
#[no_mangle]
pub extern "C" fn blaze_last_error_message() -> *const c_char {
    error::guard_value(c"".as_ptr(), error::last_message)
}

/// The name of a status code ("BLAZE_ERR_SHAPE"), or "unknown status"
/// (static strings).
#[no_mangle]
pub extern "C" fn blaze_status_name(status: i32) -> *const c_char {
    error::guard_value(c"".as_ptr(), || {
        BlazeStatus::from_code(status).map_or(c"unknown status".as_ptr(), |s| s.name().as_ptr())
    })
}

// ---------------------------------------------------------------------------
// Contexts

/// Creates a context with default settings (JIT engine, one worker
/// thread per core). Free it with `blaze_context_free`.
#[no_mangle]
pub extern "C" fn blaze_context_create(out: *mut *mut BlazeContext) -> BlazeStatus {
    guard("blaze_context_create", || unsafe {
        out_ptr(out, "out")?;
        let ctx = Context {
            threads: AtomicUsize::new(0),
            interp: AtomicBool::new(false),
        };
        *out = handle::register(handle::Object::Context(std::sync::Arc::new(ctx)));
        Ok(())
    })
}

/// Frees a context. Modules and kernels compiled with it stay valid.
/// Freeing it twice is `BLAZE_ERR_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn blaze_context_free(ctx: *mut BlazeContext) -> BlazeStatus {
    guard("blaze_context_free", || handle::release(ctx, "context"))
}

/// Sets the number of worker threads of kernels compiled from now on with
/// this context (0: one per core, the default; more than 1024 is
/// `BLAZE_ERR_INVALID_ARGUMENT`).
#[no_mangle]
pub extern "C" fn blaze_context_set_threads(ctx: *mut BlazeContext, threads: u32) -> BlazeStatus {
    guard("blaze_context_set_threads", || {
        let c = handle::context(ctx)?;
        let max = blaze::runtime::exec::MAX_THREADS;
        if threads as usize > max {
            return Err(fail(
                BLAZE_ERR_INVALID_ARGUMENT,
                format!("{threads} threads asked for; at most {max} are allowed"),
            ));
        }
        c.threads.store(threads as usize, Ordering::Relaxed);
        Ok(())
    })
}

/// Sets the engine of kernels compiled from now on with this context: a
/// `BlazeEngine` value.
#[no_mangle]
pub extern "C" fn blaze_context_set_engine(ctx: *mut BlazeContext, engine: i32) -> BlazeStatus {
    guard("blaze_context_set_engine", || {
        let c = handle::context(ctx)?;
        let interp = match engine {
            x if x == BlazeEngine::BLAZE_ENGINE_JIT as i32 => false,
            x if x == BlazeEngine::BLAZE_ENGINE_INTERP as i32 => true,
            other => {
                return Err(fail(
                    BLAZE_ERR_INVALID_ARGUMENT,
                    format!("engine {other} is not a BlazeEngine (0 = JIT, 1 = interpreter)"),
                ))
            }
        };
        c.interp.store(interp, Ordering::Relaxed);
        Ok(())
    })
}

// ---------------------------------------------------------------------------
// Compiling

/// Compiles a module of definitions (`def axpy(a: float64, x: N * float64,
/// y: N * float64) = a * x + y`, one or more). On `BLAZE_ERR_COMPILE` the
/// last error message holds the diagnostics, rendered with the source line
/// and a caret. Free the module with `blaze_module_free`.
///
/// Compiling runs on a stack segment of its own: the calling thread needs
/// about 64 KiB of stack, whatever the program. Nesting deeper than 256
/// levels (brackets, prefix operators, `let`) is `BLAZE_ERR_COMPILE`.
#[no_mangle]
pub extern "C" fn blaze_compile(
    ctx: *const BlazeContext,
    source: *const c_char,
    out: *mut *mut BlazeModule,
) -> BlazeStatus {
    guard("blaze_compile", || unsafe {
        out_ptr(out, "out")?;
        let c = handle::context(ctx)?;
        let src = text(source, "source")?;
        let module = with_front_end_stack(|| blaze::compile(src))
            .map_err(|e| fail(BLAZE_ERR_COMPILE, e.to_string()))?;
        let names = module
            .names()
            .map(|n| CString::new(n).unwrap_or_default())
            .collect();
        let obj = ModuleObj {
            module,
            names,
            settings: c.settings(),
        };
        *out = handle::register(handle::Object::Module(std::sync::Arc::new(obj)));
        Ok(())
    })
}

/// Compiles an expression over `n_args` named arguments whose types are
/// datashapes given as text, e.g. `blaze_compile_expr(ctx, "2*a + b",
/// (const char*[]){"a", "b"}, (const char*[]){"N * float64", "N *
/// float64"}, 2, &kernel)`. The kernel's parameters are the arguments in
/// this order. Free it with `blaze_kernel_free`.
///
/// As for `blaze_compile`, compiling runs on a stack segment of its own.
#[no_mangle]
pub extern "C" fn blaze_compile_expr(
    ctx: *const BlazeContext,
    expr: *const c_char,
    names: *const *const c_char,
    datashapes: *const *const c_char,
    n_args: usize,
    out: *mut *mut BlazeKernel,
) -> BlazeStatus {
    guard("blaze_compile_expr", || unsafe {
        out_ptr(out, "out")?;
        let c = handle::context(ctx)?;
        let src = text(expr, "expr")?;
        if n_args > 0 && names.is_null() {
            return Err(fail(
                BLAZE_ERR_NULL_POINTER,
                format!("names is NULL, but n_args is {n_args}"),
            ));
        }
        if n_args > 0 && datashapes.is_null() {
            return Err(fail(
                BLAZE_ERR_NULL_POINTER,
                format!("datashapes is NULL, but n_args is {n_args}"),
            ));
        }
        let mut args: Vec<(&str, &str)> = Vec::with_capacity(n_args);
        for i in 0..n_args {
            let name = text(*names.add(i), &format!("names[{i}]"))?;
            let ds = text(*datashapes.add(i), &format!("datashapes[{i}]"))?;
            if args.iter().any(|(n, _)| *n == name) {
                return Err(fail(
                    BLAZE_ERR_INVALID_ARGUMENT,
                    format!("argument `{name}` is named twice (names[{i}])"),
                ));
            }
            args.push((name, ds));
        }
        let kernel =
            with_front_end_stack(|| blaze::compile_expr(src, &args)).map_err(|e| match e {
                blaze::Error::Datashape(m) => fail(BLAZE_ERR_DATASHAPE, m),
                e => fail(BLAZE_ERR_COMPILE, e.to_string()),
            })?;
        let obj = KernelObj::new(kernel, c.settings());
        *out = handle::register(handle::Object::Kernel(std::sync::Arc::new(obj)));
        Ok(())
    })
}

// ---------------------------------------------------------------------------
// Modules

/// Frees a module. Kernels looked up in it stay valid.
#[no_mangle]
pub extern "C" fn blaze_module_free(module: *mut BlazeModule) -> BlazeStatus {
    guard("blaze_module_free", || handle::release(module, "module"))
}

/// The number of definitions of a module.
#[no_mangle]
pub extern "C" fn blaze_module_num_kernels(
    module: *const BlazeModule,
    n: *mut usize,
) -> BlazeStatus {
    guard("blaze_module_num_kernels", || unsafe {
        let m = handle::module(module)?;
        put(n, m.names.len(), "n")
    })
}

/// The name of definition `index` (source order). The string is owned by
/// the module: valid until `blaze_module_free`.
#[no_mangle]
pub extern "C" fn blaze_module_kernel_name(
    module: *const BlazeModule,
    index: usize,
    name: *mut *const c_char,
) -> BlazeStatus {
    guard("blaze_module_kernel_name", || unsafe {
        let m = handle::module(module)?;
        let s = m.names.get(index).ok_or_else(|| {
            fail(
                BLAZE_ERR_INVALID_ARGUMENT,
                format!(
                    "index {index} is out of range: the module has {} definitions",
                    m.names.len()
                ),
            )
        })?;
        put(name, s.as_ptr(), "name")
    })
}

/// The kernel of definition `name`. Free it with `blaze_kernel_free`.
#[no_mangle]
pub extern "C" fn blaze_module_kernel(
    module: *const BlazeModule,
    name: *const c_char,
    out: *mut *mut BlazeKernel,
) -> BlazeStatus {
    guard("blaze_module_kernel", || unsafe {
        out_ptr(out, "out")?;
        let m = handle::module(module)?;
        let name = text(name, "name")?;
        let k = m
            .module
            .kernel(name)
            .map_err(|e| fail(BLAZE_ERR_NOT_FOUND, e.to_string()))?
            .clone();
        let obj = KernelObj::new(k, m.settings);
        *out = handle::register(handle::Object::Kernel(std::sync::Arc::new(obj)));
        Ok(())
    })
}

// ---------------------------------------------------------------------------
// Kernels

/// Frees a kernel. A call running on another thread finishes first; later
/// uses of the handle are `BLAZE_ERR_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn blaze_kernel_free(kernel: *mut BlazeKernel) -> BlazeStatus {
    guard("blaze_kernel_free", || handle::release(kernel, "kernel"))
}

/// The kernel's name (the definition's; `main` for an expression). Owned
/// by the kernel: valid until `blaze_kernel_free`.
#[no_mangle]
pub extern "C" fn blaze_kernel_name(
    kernel: *const BlazeKernel,
    name: *mut *const c_char,
) -> BlazeStatus {
    guard("blaze_kernel_name", || unsafe {
        let k = handle::kernel(kernel)?;
        put(name, k.name.as_ptr(), "name")
    })
}

/// The signature as text: `axpy(a: float64, x: N * float64, y: N *
/// float64) -> N * float64`. Owned by the kernel.
#[no_mangle]
pub extern "C" fn blaze_kernel_signature(
    kernel: *const BlazeKernel,
    signature: *mut *const c_char,
) -> BlazeStatus {
    guard("blaze_kernel_signature", || unsafe {
        let k = handle::kernel(kernel)?;
        put(signature, k.signature.as_ptr(), "signature")
    })
}

/// The number of parameters (= inputs of a call).
#[no_mangle]
pub extern "C" fn blaze_kernel_num_params(
    kernel: *const BlazeKernel,
    n: *mut usize,
) -> BlazeStatus {
    guard("blaze_kernel_num_params", || unsafe {
        let k = handle::kernel(kernel)?;
        put(n, k.params.len(), "n")
    })
}

/// Parameter `index`: its name and its datashape as text (`N * float64`;
/// a scalar type such as `float64` is a 0-d tensor). Either out-pointer
/// may be NULL when not wanted. Owned by the kernel.
#[no_mangle]
pub extern "C" fn blaze_kernel_param(
    kernel: *const BlazeKernel,
    index: usize,
    name: *mut *const c_char,
    datashape: *mut *const c_char,
) -> BlazeStatus {
    guard("blaze_kernel_param", || unsafe {
        let k = handle::kernel(kernel)?;
        let (n, t) = k.params.get(index).ok_or_else(|| {
            fail(
                BLAZE_ERR_INVALID_ARGUMENT,
                format!(
                    "index {index} is out of range: `{}` has {} parameter{}",
                    k.name.to_string_lossy(),
                    k.params.len(),
                    if k.params.len() == 1 { "" } else { "s" }
                ),
            )
        })?;
        if !name.is_null() {
            *name = n.as_ptr();
        }
        if !datashape.is_null() {
            *datashape = t.as_ptr();
        }
        Ok(())
    })
}

/// The result's datashape as text. Owned by the kernel.
#[no_mangle]
pub extern "C" fn blaze_kernel_result(
    kernel: *const BlazeKernel,
    datashape: *mut *const c_char,
) -> BlazeStatus {
    guard("blaze_kernel_result", || unsafe {
        let k = handle::kernel(kernel)?;
        put(datashape, k.result.as_ptr(), "datashape")
    })
}

/// The number of outputs of a call: 1, or the number of items of a tuple
/// result (`qr(A)` has 2).
#[no_mangle]
pub extern "C" fn blaze_kernel_num_outputs(
    kernel: *const BlazeKernel,
    n: *mut usize,
) -> BlazeStatus {
    guard("blaze_kernel_num_outputs", || unsafe {
        let k = handle::kernel(kernel)?;
        put(n, k.outputs.len(), "n")
    })
}

/// Calls the kernel: `inputs` holds one tensor per parameter, in order
/// (0-d tensors for scalars), `outputs` one caller-allocated tensor per
/// output, with the result's element type and shape. Every tensor is
/// checked against the signature first (`BLAZE_ERR_DTYPE`,
/// `BLAZE_ERR_SHAPE`, `BLAZE_ERR_DEVICE`, `BLAZE_ERR_ALIGNMENT`, …); on an
/// error no output has been written. Inputs and outputs are used where they
/// are, with their `strides` and `byte_offset`: when the kernel's last step
/// is elementwise it writes straight into the output, otherwise the result
/// is copied there once. An output may share memory with an input (be one
/// of them, or a shifted or reversed view of one): blaze detects it and
/// then computes into a temporary, so every input is read before the
/// output is written (NumPy's `out=`). An output must not reach one
/// element from two indices (a stride of 0 on an axis longer than 1).
///
/// C contract: `inputs` points at `n_inputs` tensor pointers and
/// `outputs` at `n_outputs`; each tensor's `shape` (and `strides`, when
/// not NULL) holds `ndim` values and its elements are readable (inputs) or
/// writable (outputs).
#[no_mangle]
pub extern "C" fn blaze_kernel_call(
    kernel: *const BlazeKernel,
    inputs: *const *const DLTensor,
    n_inputs: usize,
    outputs: *const *mut DLTensor,
    n_outputs: usize,
) -> BlazeStatus {
    guard("blaze_kernel_call", || unsafe {
        let k = handle::kernel(kernel)?;
        k.check_outputs(n_outputs)?;
        if outputs.is_null() {
            return Err(fail(BLAZE_ERR_NULL_POINTER, "the outputs array is NULL"));
        }
        let mut sizes = HashMap::new();
        let ins = k.views(inputs, n_inputs, &mut sizes)?;
        let mut views = Vec::with_capacity(n_outputs);
        for (i, slot) in k.outputs.iter().enumerate() {
            views.push(tensor::output(*outputs.add(i), slot, &mut sizes)?);
        }
        if !k.tuple {
            return k.run_into(&ins, &views[0]);
        }
        let results = k.run_in_place(&ins)?;
        // Check every shape before writing anything.
        for ((r, v), slot) in results.iter().zip(&views).zip(&k.outputs) {
            tensor::check_result(r, v, slot)?;
        }
        for ((r, v), slot) in results.iter().zip(&views).zip(&k.outputs) {
            tensor::store(r, v, slot)?;
        }
        Ok(())
    })
}

/// Calls the kernel with outputs allocated by blaze: on success
/// `outputs[i]` receives a new `DLManagedTensor` (`kDLCPU`, with its
/// `strides`: row-major for an elementwise kernel's result) for each of the
/// `n_outputs` outputs. Its `data` is the memory blaze computed the result
/// in, handed over without a copy; release each with its `deleter` or
/// `blaze_tensor_free`, which frees that memory. On failure every
/// `outputs[i]` is NULL. Inputs as in `blaze_kernel_call`.
#[no_mangle]
pub extern "C" fn blaze_kernel_call_alloc(
    kernel: *const BlazeKernel,
    inputs: *const *const DLTensor,
    n_inputs: usize,
    outputs: *mut *mut DLManagedTensor,
    n_outputs: usize,
) -> BlazeStatus {
    guard("blaze_kernel_call_alloc", || unsafe {
        let k = handle::kernel(kernel)?;
        k.check_outputs(n_outputs)?;
        if outputs.is_null() {
            return Err(fail(BLAZE_ERR_NULL_POINTER, "the outputs array is NULL"));
        }
        for i in 0..n_outputs {
            *outputs.add(i) = std::ptr::null_mut();
        }
        let mut sizes = HashMap::new();
        let ins = k.views(inputs, n_inputs, &mut sizes)?;
        let results = k.run_in_place(&ins)?;
        let mut made: Vec<*mut DLManagedTensor> = Vec::with_capacity(n_outputs);
        for (r, slot) in results.into_iter().zip(&k.outputs) {
            match tensor::managed(r, slot) {
                Ok(m) => made.push(m),
                Err(e) => {
                    for m in made {
                        let _ = tensor::free_managed(m);
                    }
                    return Err(e);
                }
            }
        }
        for (i, m) in made.into_iter().enumerate() {
            *outputs.add(i) = m;
        }
        Ok(())
    })
}

/// Frees a tensor from `blaze_kernel_call_alloc` (the same as calling its
/// `deleter`, but a second free is reported as
/// `BLAZE_ERR_INVALID_HANDLE`).
#[no_mangle]
pub extern "C" fn blaze_tensor_free(tensor: *mut DLManagedTensor) -> BlazeStatus {
    guard("blaze_tensor_free", || tensor::free_managed(tensor))
}

/// Text of what was generated for the kernel: `what` is a `BlazeEmit`.
/// `BLAZE_EMIT_IR` is blaze's typed IR and needs no inputs (`inputs` may
/// be NULL). The LLVM texts depend on the inputs' ranks and layouts: the
/// kernel is compiled for `inputs` (as in `blaze_kernel_call`) and run
/// once on them, its result discarded; a kernel whose operations all run
/// on the reference kernels has no LLVM text, which the text says. `*text`
/// receives a new string; free it with `blaze_string_free`.
#[no_mangle]
pub extern "C" fn blaze_kernel_emit(
    kernel: *const BlazeKernel,
    what: i32,
    inputs: *const *const DLTensor,
    n_inputs: usize,
    text: *mut *mut c_char,
) -> BlazeStatus {
    guard("blaze_kernel_emit", || unsafe {
        out_ptr(text, "text")?;
        let k = handle::kernel(kernel)?;
        let f = k.kernel.function();
        let mut dumps = blaze::codegen::Dumps::default();
        match what {
            x if x == BlazeEmit::BLAZE_EMIT_IR as i32 => {
                *text = strings::give(f.to_string());
                return Ok(());
            }
            x if x == BlazeEmit::BLAZE_EMIT_LLVM_IR as i32 => dumps.ir = true,
            x if x == BlazeEmit::BLAZE_EMIT_OPT_IR as i32 => dumps.opt_ir = true,
            x if x == BlazeEmit::BLAZE_EMIT_ASM as i32 => dumps.asm = true,
            other => {
                return Err(fail(
                    BLAZE_ERR_INVALID_ARGUMENT,
                    format!("what = {other} is not a BlazeEmit (0 = IR, 1 = LLVM IR, 2 = optimized LLVM IR, 3 = assembly)"),
                ))
            }
        }
        let mut sizes = HashMap::new();
        let views = k.views(inputs, n_inputs, &mut sizes)?;
        let opts = blaze::runtime::exec::Options {
            threads: (k.settings.threads > 0).then_some(k.settings.threads),
            dumps,
            print_dumps: false,
            ..Default::default()
        };
        let prepared = blaze::runtime::exec::prepare(f);
        let (_, report) = KernelObj::with_args(&views, |args| {
            prepared
                .run_args(args, &opts)
                .map_err(|e| call_failure(blaze::Error::from(e)))
        })?;
        let mut out = String::new();
        for c in &report.kernels {
            for t in [&c.ir, &c.opt_ir, &c.asm].into_iter().flatten() {
                out.push_str(&format!("; kernel {} — {}\n{t}\n", c.name, c.key));
            }
        }
        if report.kernels.is_empty() {
            out = format!(
                "; `{}` compiles no LLVM kernel: its operations run on the reference kernels ({})\n",
                f.name,
                report.fallbacks.join(", ")
            );
        }
        *text = strings::give(out);
        Ok(())
    })
}

/// Frees a string blaze returned (from `blaze_kernel_emit`). A second free
/// is `BLAZE_ERR_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn blaze_string_free(text: *mut c_char) -> BlazeStatus {
    guard("blaze_string_free", || strings::take(text))
}

/// Strings handed to the caller, tracked so a double free is detected.
mod strings {
    use crate::error::{fail, Failure};
    use crate::BlazeStatus::*;
    use std::collections::HashSet;
    use std::ffi::{c_char, CString};
    use std::sync::{Mutex, OnceLock};

    fn live() -> &'static Mutex<HashSet<usize>> {
        static LIVE: OnceLock<Mutex<HashSet<usize>>> = OnceLock::new();
        LIVE.get_or_init(|| Mutex::new(HashSet::new()))
    }

    /// Hands `s` to the caller.
    pub(crate) fn give(s: String) -> *mut c_char {
        let p = CString::new(s.replace('\0', "\\0"))
            .unwrap_or_default()
            .into_raw();
        live()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(p.addr());
        p
    }

    /// Takes back a string from [`give`].
    pub(crate) fn take(p: *mut c_char) -> Result<(), Failure> {
        if p.is_null() {
            return Err(fail(BLAZE_ERR_NULL_POINTER, "the string is NULL"));
        }
        if !live()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&p.addr())
        {
            return Err(fail(
                BLAZE_ERR_INVALID_HANDLE,
                format!("{p:p} is not a live string from blaze: it was freed already, or blaze did not return it"),
            ));
        }
        // SAFETY: made by `CString::into_raw` in `give`, freed once.
        drop(unsafe { CString::from_raw(p) });
        Ok(())
    }
}
