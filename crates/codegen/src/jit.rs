//! Compilation and the kernel cache. Equal keys compile once; compiles are
//! serialized behind one lock; kernels are handed out as plain `extern "C"`
//! function pointers that any thread may call.
//!
//! Kernels are built with inkwell, each in its own LLVM context and module,
//! optimized at `O3` and emitted as an object file by `machine` (as AOT
//! objects are: the host CPU and features, position-independent code of the
//! small code model, which ORC's linker expects), and the object is handed
//! to one process-wide ORC `LLJIT` (through llvm-sys's C API, which inkwell
//! does not wrap for LLVM 19). ORC links it against the process: libm under
//! blaze's names (absolute symbols defined at start), libmvec and the C
//! library through the process's own symbol table. The IR is freed once the
//! object exists, so a kernel costs its machine code, not its IR.
//!
//! The object of a kernel is also stored in the persistent cache
//! ([`crate::disk_cache`]); another process asking for the same kernel on
//! the same CPU loads it from there into ORC, running neither the
//! optimizer nor the code generator, and links it exactly as a freshly
//! compiled one. Such kernels have a symbol named after the hash of their
//! identity (`blaze_kernel_h…`), so an object made by one process defines
//! the same name in another; a kernel whose name is already defined in
//! this process (an evicted kernel a caller still holds), or that is
//! compiled for its texts (`Dumps`), is compiled under a numbered name and
//! not stored.
//!
//! Each kernel's code lives under its own ORC resource tracker, removed
//! when the last [`Arc`] of its [`Compiled`] is dropped: the cache holds
//! at most [`Jit::cache_limit`] kernels (least recently used evicted
//! first), and a kernel evicted while a caller still holds it lives until
//! that caller lets go. Memory stays flat however many distinct kernels a
//! process compiles.

use crate::arrow_kernels::ColumnKernel;
use crate::disk_cache::{self, CacheUse, DiskCache, Lookup};
use crate::error::Unsupported;
use crate::kernel::KernelKey;
use crate::llvm::Emitter;
use crate::machine::{native_host, verify, Machine};
use crate::target::Host;
use inkwell::context::Context;
use inkwell::llvm_sys::core::LLVMCreateMemoryBufferWithMemoryRangeCopy;
use inkwell::llvm_sys::error::{LLVMDisposeErrorMessage, LLVMErrorRef, LLVMGetErrorMessage};
use inkwell::llvm_sys::orc2 as orc;
use inkwell::llvm_sys::orc2::lljit;
use inkwell::targets::{CodeModel, RelocMode};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

/// The C signature of every kernel: operand pointers, strides (elements,
/// per operand per axis), shape, and the flat range `begin..end`.
pub type KernelFn = unsafe extern "C" fn(*const *mut u8, *const i64, *const i64, i64, i64);

/// Which texts to keep of a compile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dumps {
    /// The LLVM IR as generated.
    pub ir: bool,
    /// The LLVM IR after optimization.
    pub opt_ir: bool,
    /// The host assembly.
    pub asm: bool,
}

impl Dumps {
    /// Whether any text is wanted.
    pub fn any(self) -> bool {
        self.ir || self.opt_ir || self.asm
    }

    /// The LLVM texts asked for by `BLAZE_DUMP=llvm-ir,opt-ir,asm` in the
    /// environment (its `ir` item is blaze's typed IR, printed by the
    /// runtime).
    pub fn from_env() -> Dumps {
        let v = std::env::var("BLAZE_DUMP").unwrap_or_default();
        let has = |w: &str| v.split(',').any(|x| x.trim() == w);
        Dumps {
            ir: has("llvm-ir"),
            opt_ir: has("opt-ir"),
            asm: has("asm"),
        }
    }
}

/// A compiled kernel.
#[derive(Debug)]
pub struct Compiled {
    /// Its entry point.
    pub func: KernelFn,
    /// The symbol name.
    pub name: String,
    /// The specialization key's text.
    pub key: String,
    /// Generated LLVM IR, when asked for.
    pub ir: Option<String>,
    /// Optimized LLVM IR, when asked for.
    pub opt_ir: Option<String>,
    /// Assembly, when asked for.
    pub asm: Option<String>,
    /// Seconds spent generating, optimizing and compiling, or loading the
    /// object from the disk cache.
    pub compile_seconds: f64,
    /// Whether the code came from the disk cache.
    pub cache: CacheUse,
    /// The ORC resource tracker owning the code, removed on drop.
    tracker: Option<Tracker>,
}

impl Drop for Compiled {
    fn drop(&mut self) {
        if let Some(t) = self.tracker.take() {
            // Only a JIT makes trackers, so it exists here.
            if let Some(Ok(jit)) = JIT.get() {
                jit.release(t);
            }
        }
    }
}

/// An ORC resource tracker: the code and symbols of one kernel, and the
/// name of its entry point.
struct Tracker(orc::LLVMOrcResourceTrackerRef, String);
// SAFETY: a tracker is an opaque handle; blaze removes it under
// `Jit::compile_lock`.
unsafe impl Send for Tracker {}
unsafe impl Sync for Tracker {}

impl std::fmt::Debug for Tracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tracker({:p}, {})", self.0, self.1)
    }
}

/// The kernels by key text, with when each was last used.
struct Cache {
    map: HashMap<String, (Arc<Compiled>, u64)>,
    clock: u64,
}

impl Cache {
    /// The kernel of `text`, marked as just used.
    fn get(&mut self, text: &str) -> Option<Arc<Compiled>> {
        self.clock += 1;
        let now = self.clock;
        self.map.get_mut(text).map(|(k, used)| {
            *used = now;
            k.clone()
        })
    }

    /// Inserts `k`, evicting the least recently used kernels beyond
    /// `limit`; returns what left the cache (to be dropped by the caller
    /// outside every lock).
    fn insert(&mut self, text: String, k: Arc<Compiled>, limit: usize) -> Vec<Arc<Compiled>> {
        self.clock += 1;
        let mut gone: Vec<Arc<Compiled>> = Vec::new();
        if let Some((old, _)) = self.map.insert(text, (k, self.clock)) {
            gone.push(old);
        }
        while self.map.len() > limit.max(1) {
            let Some(oldest) = self
                .map
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(t, _)| t.clone())
            else {
                break;
            };
            if let Some((k, _)) = self.map.remove(&oldest) {
                gone.push(k);
            }
        }
        gone
    }
}

/// Kernels the cache keeps by default (see [`Jit::set_cache_limit`]).
pub const DEFAULT_CACHE_LIMIT: usize = 512;

/// The process-wide JIT: host facts, the ORC JIT and the kernel cache.
pub struct Jit {
    host: Host,
    lljit: OrcJit,
    cache: Mutex<Cache>,
    cache_limit: AtomicUsize,
    compile_lock: Mutex<()>,
    /// Trackers of dropped kernels, removed at the next chance to take the
    /// compile lock.
    pending: Mutex<Vec<Tracker>>,
    /// Kernel symbols defined in the JIT (changed under the compile lock).
    defined: Mutex<HashSet<String>>,
}

/// The ORC `LLJIT` instance and its main library.
struct OrcJit {
    jit: lljit::LLVMOrcLLJITRef,
    dylib: orc::LLVMOrcJITDylibRef,
}
// SAFETY: LLJIT is thread-safe; blaze only adds modules and looks symbols up
// while holding `Jit::compile_lock`.
unsafe impl Send for OrcJit {}
unsafe impl Sync for OrcJit {}

/// The message of an LLVM error (consumed), or `None` for success.
fn take_error(err: LLVMErrorRef) -> Option<String> {
    if err.is_null() {
        return None;
    }
    // SAFETY: `err` is a live error; getting its message consumes it.
    unsafe {
        let msg = LLVMGetErrorMessage(err);
        let text = std::ffi::CStr::from_ptr(msg).to_string_lossy().into_owned();
        LLVMDisposeErrorMessage(msg);
        Some(text)
    }
}

impl OrcJit {
    fn create() -> Result<OrcJit, String> {
        // SAFETY: the C API's documented creation sequence; every error is
        // checked and ownership moves as documented.
        unsafe {
            let mut jtmb: orc::LLVMOrcJITTargetMachineBuilderRef = std::ptr::null_mut();
            if let Some(e) = take_error(orc::LLVMOrcJITTargetMachineBuilderDetectHost(&mut jtmb)) {
                return Err(format!("cannot detect the host for the JIT: {e}"));
            }
            let builder = lljit::LLVMOrcCreateLLJITBuilder();
            lljit::LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(builder, jtmb);
            let mut jit: lljit::LLVMOrcLLJITRef = std::ptr::null_mut();
            if let Some(e) = take_error(lljit::LLVMOrcCreateLLJIT(&mut jit, builder)) {
                return Err(format!("cannot create the JIT: {e}"));
            }
            let dylib = lljit::LLVMOrcLLJITGetMainJITDylib(jit);
            // Symbols of the process: libm, and libmvec once loaded.
            let mut generator: orc::LLVMOrcDefinitionGeneratorRef = std::ptr::null_mut();
            let prefix = lljit::LLVMOrcLLJITGetGlobalPrefix(jit);
            if let Some(e) = take_error(orc::LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(
                &mut generator,
                prefix,
                None,
                std::ptr::null_mut(),
            )) {
                return Err(format!("cannot resolve process symbols in the JIT: {e}"));
            }
            orc::LLVMOrcJITDylibAddGenerator(dylib, generator);
            // The scalar math functions under blaze's own names (see
            // `target::math_symbols`).
            let mut pairs: Vec<orc::LLVMOrcCSymbolMapPair> = Vec::new();
            for (name, addr) in crate::target::math_symbols() {
                let cname = std::ffi::CString::new(name).map_err(|e| e.to_string())?;
                pairs.push(orc::LLVMOrcCSymbolMapPair {
                    Name: lljit::LLVMOrcLLJITMangleAndIntern(jit, cname.as_ptr()),
                    Sym: orc::LLVMJITEvaluatedSymbol {
                        Address: addr as orc::LLVMOrcExecutorAddress,
                        Flags: orc::LLVMJITSymbolFlags {
                            GenericFlags: orc::LLVMJITSymbolGenericFlags::LLVMJITSymbolGenericFlagsExported as u8
                                | orc::LLVMJITSymbolGenericFlags::LLVMJITSymbolGenericFlagsCallable as u8,
                            TargetFlags: 0,
                        },
                    },
                });
            }
            let mu = orc::LLVMOrcAbsoluteSymbols(pairs.as_mut_ptr(), pairs.len());
            if let Some(e) = take_error(orc::LLVMOrcJITDylibDefine(dylib, mu)) {
                return Err(format!("cannot define the math functions in the JIT: {e}"));
            }
            Ok(OrcJit { jit, dylib })
        }
    }
}

static JIT: OnceLock<Result<Jit, String>> = OnceLock::new();

/// The JIT, initialized on first use; an error if LLVM has no native target.
pub fn jit() -> Result<&'static Jit, Unsupported> {
    JIT.get_or_init(|| {
        let host = native_host().map_err(|e| e.0)?;
        Ok(Jit {
            lljit: OrcJit::create()?,
            host,
            cache: Mutex::new(Cache {
                map: HashMap::new(),
                clock: 0,
            }),
            cache_limit: AtomicUsize::new(DEFAULT_CACHE_LIMIT),
            compile_lock: Mutex::new(()),
            pending: Mutex::new(Vec::new()),
            defined: Mutex::new(HashSet::new()),
        })
    })
    .as_ref()
    .map_err(|e| Unsupported(e.clone()))
}

impl Jit {
    /// The host facts in use.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// Number of kernels in the cache.
    pub fn cached(&self) -> usize {
        self.cache.lock().map_or(0, |c| c.map.len())
    }

    /// The most kernels the cache keeps.
    pub fn cache_limit(&self) -> usize {
        self.cache_limit.load(Ordering::Relaxed)
    }

    /// Sets the most kernels the cache keeps (at least 1); the least
    /// recently used beyond it are evicted at the next compile. Their code
    /// is freed once no caller holds them.
    pub fn set_cache_limit(&self, kernels: usize) {
        self.cache_limit.store(kernels.max(1), Ordering::Relaxed);
    }

    /// Queues the code of a dropped kernel for removal, and removes what
    /// is queued unless a compile is under way (which removes it when done).
    fn release(&self, t: Tracker) {
        if let Ok(mut p) = self.pending.lock() {
            p.push(t);
        }
        if let Ok(_guard) = self.compile_lock.try_lock() {
            self.remove_pending();
        }
    }

    /// Removes the code of dropped kernels. The caller holds the compile
    /// lock.
    fn remove_pending(&self) {
        let trackers = match self.pending.lock() {
            Ok(mut p) => std::mem::take(&mut *p),
            Err(_) => return,
        };
        for t in trackers {
            if let Ok(mut d) = self.defined.lock() {
                d.remove(&t.1);
            }
            // SAFETY: a live tracker of this JIT's main library, no longer
            // referenced by any kernel; removing it frees its code and
            // symbols, releasing it frees the handle.
            unsafe {
                let _ = take_error(orc::LLVMOrcResourceTrackerRemove(t.0));
                orc::LLVMOrcReleaseResourceTracker(t.0);
            }
        }
    }

    /// The kernel for `key`, compiled on first request. `dumps` asks for
    /// texts; a cached kernel without them is compiled again for the texts.
    pub fn kernel(&self, key: &KernelKey, dumps: Dumps) -> Result<Arc<Compiled>, Unsupported> {
        self.lookup_or_compile(&key.text(), "blaze_kernel", dumps, |e, name| {
            e.build(name, key).map(|_| ())
        })
    }

    /// The kernel over Arrow buffers for `key`, compiled on first request,
    /// in the same cache as [`Jit::kernel`]'s (its text starts with
    /// `column `, which no [`KernelKey`] text does). Its entry point has
    /// the signature documented in [`crate::arrow_kernels`].
    pub fn column_kernel(
        &self,
        key: &ColumnKernel,
        dumps: Dumps,
    ) -> Result<Arc<Compiled>, Unsupported> {
        key.check().map_err(Unsupported)?;
        self.lookup_or_compile(&key.text(), "blaze_column", dumps, |e, name| {
            match key {
                ColumnKernel::Segmented(k) => e.build_segmented(name, k),
                ColumnKernel::Strings(k) => e.build_strings(name, k),
                ColumnKernel::Decimal(k) => e.build_decimal(name, k),
                ColumnKernel::MaskCount { missing } => e.build_mask_count(name, *missing),
            }
            .map(|_| ())
        })
    }

    /// The cached kernel of key text `text`, or a new one built by `build`
    /// into a fresh module under a fresh symbol starting with `prefix`.
    fn lookup_or_compile(
        &self,
        text: &str,
        prefix: &str,
        dumps: Dumps,
        build: impl FnOnce(&Emitter<'_, '_>, &str) -> Result<(), Unsupported>,
    ) -> Result<Arc<Compiled>, Unsupported> {
        let text = text.to_string();
        if let Some(k) = self.cache.lock().ok().and_then(|mut c| c.get(&text)) {
            let has = (!dumps.ir || k.ir.is_some())
                && (!dumps.opt_ir || k.opt_ir.is_some())
                && (!dumps.asm || k.asm.is_some());
            if has {
                return Ok(k);
            }
        }
        // Kernels leaving the cache are dropped after the locks are
        // released (their code is removed under the compile lock).
        let mut gone = Vec::new();
        let result = {
            let _guard = self
                .compile_lock
                .lock()
                .map_err(|_| Unsupported("compile lock poisoned".into()))?;
            self.remove_pending();
            // Another thread may have compiled it meanwhile.
            let ready = if dumps.any() {
                None
            } else {
                self.cache.lock().ok().and_then(|mut c| c.get(&text))
            };
            let r = match ready {
                Some(k) => Ok(k),
                None => self.obtain(build, &text, prefix, dumps).map(|c| {
                    let compiled = Arc::new(c);
                    if let Ok(mut cache) = self.cache.lock() {
                        gone = cache.insert(text, compiled.clone(), self.cache_limit());
                    }
                    compiled
                }),
            };
            // Kernels dropped by other threads meanwhile.
            self.remove_pending();
            r
        };
        drop(gone);
        result
    }

    /// The kernel of key text `text` from the disk cache, or compiled by
    /// `build` (and stored there). The caller holds the compile lock.
    fn obtain(
        &self,
        build: impl FnOnce(&Emitter<'_, '_>, &str) -> Result<(), Unsupported>,
        text: &str,
        prefix: &str,
        dumps: Dumps,
    ) -> Result<Compiled, Unsupported> {
        let t0 = Instant::now();
        let disk = disk_cache::active();
        let identity = disk.map(|_| disk_cache::identity(&self.host, text));
        // Compiles for texts keep numbered names (and are not stored).
        let stable = identity
            .as_ref()
            .filter(|_| !dumps.any())
            .map(|id| format!("{prefix}_h{:016x}", disk_cache::fnv64(id.as_bytes())))
            .filter(|name| !self.defined.lock().is_ok_and(|d| d.contains(name)));
        if let (Some(d), Some(id), Some(name)) = (disk, &identity, &stable) {
            match d.load(id) {
                Lookup::Hit { symbol, object } if &symbol == name => {
                    match self.load_object(&object, name) {
                        Ok((tracker, func)) => {
                            return Ok(Compiled {
                                func,
                                name: name.clone(),
                                key: text.to_string(),
                                ir: None,
                                opt_ir: None,
                                asm: None,
                                compile_seconds: t0.elapsed().as_secs_f64(),
                                cache: CacheUse::Hit,
                                tracker: Some(tracker),
                            })
                        }
                        Err(e) => warn_corrupt(&format!("in {}: {}", d.dir().display(), e.0)),
                    }
                }
                Lookup::Corrupt(why) => warn_corrupt(&why),
                Lookup::Hit { .. } | Lookup::Absent => {}
            }
        }
        let (name, store) = match (&stable, disk, &identity) {
            (Some(name), Some(d), Some(id)) => (name.clone(), Some((d, id.as_str()))),
            _ => {
                // Every other compile gets a fresh symbol, also when a
                // cached kernel is compiled again for its texts.
                static NEXT: AtomicUsize = AtomicUsize::new(0);
                let n = NEXT.fetch_add(1, Ordering::Relaxed);
                (format!("{prefix}_{n}"), None)
            }
        };
        let mut c = self.compile(build, text, &name, dumps, store)?;
        c.cache = if disk.is_some() {
            CacheUse::Miss
        } else {
            CacheUse::Off
        };
        c.compile_seconds = t0.elapsed().as_secs_f64();
        Ok(c)
    }

    /// Generates, optimizes and emits the kernel as an object file, stores
    /// the object in `store`'s cache under its identity, and loads it.
    fn compile(
        &self,
        build_kernel: impl FnOnce(&Emitter<'_, '_>, &str) -> Result<(), Unsupported>,
        text: &str,
        name: &str,
        dumps: Dumps,
        store: Option<(&DiskCache, &str)>,
    ) -> Result<Compiled, Unsupported> {
        let t0 = Instant::now();
        let machine = Machine::new(&self.host, RelocMode::PIC, CodeModel::Small)?;
        let ctx = Context::create();
        let module = machine.module(&ctx, name);
        build_kernel(&Emitter::new(&ctx, &module, &self.host), name)?;
        verify(&module)?;
        let ir = dumps.ir.then(|| module.print_to_string().to_string());
        machine.optimize(&module)?;
        let opt_ir = dumps.opt_ir.then(|| module.print_to_string().to_string());
        let asm = if dumps.asm {
            Some(machine.assembly(&module)?)
        } else {
            None
        };
        let object = machine.object(&module)?;
        drop(module);
        if let Some((cache, identity)) = store {
            // A cache that cannot be written costs the next process a
            // compile, nothing more.
            let _ = cache.store(identity, name, object.as_slice());
        }
        let (tracker, func) = self.load_object(object.as_slice(), name)?;
        Ok(Compiled {
            func,
            name: name.to_string(),
            key: text.to_string(),
            ir,
            opt_ir,
            asm,
            compile_seconds: t0.elapsed().as_secs_f64(),
            cache: CacheUse::Off,
            tracker: Some(tracker),
        })
    }

    /// Links the object file `object` into the JIT under a tracker of its
    /// own and returns the address of its kernel `name`. The caller holds
    /// the compile lock.
    fn load_object(&self, object: &[u8], name: &str) -> Result<(Tracker, KernelFn), Unsupported> {
        let cname = std::ffi::CString::new(name).map_err(|e| Unsupported(e.to_string()))?;
        let mut addr: orc::LLVMOrcExecutorAddress = 0;
        // SAFETY: the buffer is a copy of `object`, owned by ORC once added;
        // the lookup links the object on this thread, under the compile
        // lock. The object's code belongs to a tracker of its own, removed
        // on failure here or when the kernel is dropped.
        let tracker = unsafe {
            let tracker = Tracker(
                orc::LLVMOrcJITDylibCreateResourceTracker(self.lljit.dylib),
                name.to_string(),
            );
            let failed = |t: Tracker, e: String| {
                let _ = take_error(orc::LLVMOrcResourceTrackerRemove(t.0));
                orc::LLVMOrcReleaseResourceTracker(t.0);
                Err(Unsupported(e))
            };
            let buffer = LLVMCreateMemoryBufferWithMemoryRangeCopy(
                object.as_ptr().cast(),
                object.len(),
                cname.as_ptr(),
            );
            if let Some(e) = take_error(lljit::LLVMOrcLLJITAddObjectFileWithRT(
                self.lljit.jit,
                tracker.0,
                buffer,
            )) {
                return failed(tracker, format!("the JIT rejected the kernel: {e}"));
            }
            if let Some(e) = take_error(lljit::LLVMOrcLLJITLookup(
                self.lljit.jit,
                &mut addr,
                cname.as_ptr(),
            )) {
                return failed(tracker, format!("kernel symbol missing: {e}"));
            }
            if addr == 0 {
                return failed(tracker, "kernel symbol resolved to null".into());
            }
            tracker
        };
        if let Ok(mut d) = self.defined.lock() {
            d.insert(name.to_string());
        }
        // SAFETY: the function was generated with exactly this signature.
        let func: KernelFn = unsafe { std::mem::transmute::<usize, KernelFn>(addr as usize) };
        Ok((tracker, func))
    }
}

/// The one warning line of a cache entry that cannot be used.
fn warn_corrupt(why: &str) {
    eprintln!("blaze: warning: kernel cache entry {why}; compiling the kernel again");
}
