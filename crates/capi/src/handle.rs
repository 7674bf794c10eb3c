//! Handles: what a C caller holds for a context, a module or a kernel.
//!
//! A handle is an opaque token, not an address: blaze keeps the objects
//! in a process-wide table keyed by a number that is never reused, and the
//! pointer a caller holds is that number. So a freed handle, a handle of
//! another kind or a stray pointer is found missing in the table and
//! reported, never dereferenced — double frees and uses after free are
//! errors, not undefined behaviour. Objects are reference-counted: freeing
//! a handle while another thread is inside a call with it lets that call
//! finish.

use crate::error::{fail, Failure};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

/// What a handle refers to.
#[derive(Clone)]
pub(crate) enum Object {
    Context(Arc<crate::Context>),
    Module(Arc<crate::ModuleObj>),
    Kernel(Arc<crate::KernelObj>),
}

impl Object {
    fn kind(&self) -> &'static str {
        match self {
            Object::Context(_) => "context",
            Object::Module(_) => "module",
            Object::Kernel(_) => "kernel",
        }
    }
}

fn table() -> &'static RwLock<HashMap<usize, Object>> {
    static TABLE: OnceLock<RwLock<HashMap<usize, Object>>> = OnceLock::new();
    TABLE.get_or_init(|| RwLock::new(HashMap::new()))
}

/// Tokens start high and step by 16, so they look like no small integer a
/// caller might pass by mistake, and are never reused.
static NEXT: AtomicUsize = AtomicUsize::new(0x0b1a_2e00_0000);

/// Registers `obj` and returns its handle.
pub(crate) fn register<T>(obj: Object) -> *mut T {
    let token = NEXT.fetch_add(16, Ordering::Relaxed);
    table()
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(token, obj);
    std::ptr::without_provenance_mut(token)
}

fn find<T>(ptr: *const T, what: &str) -> Result<Object, Failure> {
    if ptr.is_null() {
        return Err(fail(
            crate::BlazeStatus::BLAZE_ERR_NULL_POINTER,
            format!("the {what} handle is NULL"),
        ));
    }
    let token = ptr.addr();
    table()
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(&token)
        .cloned()
        .ok_or_else(|| {
            fail(
                crate::BlazeStatus::BLAZE_ERR_INVALID_HANDLE,
                format!("{ptr:p} is not a live {what} handle: it was freed already, or did not come from blaze"),
            )
        })
}

fn wrong_kind(obj: &Object, want: &str) -> Failure {
    fail(
        crate::BlazeStatus::BLAZE_ERR_INVALID_HANDLE,
        format!("the handle is a {}, not a {want}", obj.kind()),
    )
}

/// The context behind a handle.
pub(crate) fn context<T>(ptr: *const T) -> Result<Arc<crate::Context>, Failure> {
    match find(ptr, "context")? {
        Object::Context(c) => Ok(c),
        other => Err(wrong_kind(&other, "context")),
    }
}

/// The module behind a handle.
pub(crate) fn module<T>(ptr: *const T) -> Result<Arc<crate::ModuleObj>, Failure> {
    match find(ptr, "module")? {
        Object::Module(m) => Ok(m),
        other => Err(wrong_kind(&other, "module")),
    }
}

/// The kernel behind a handle.
pub(crate) fn kernel<T>(ptr: *const T) -> Result<Arc<crate::KernelObj>, Failure> {
    match find(ptr, "kernel")? {
        Object::Kernel(k) => Ok(k),
        other => Err(wrong_kind(&other, "kernel")),
    }
}

/// Removes a handle of kind `want` (`"context"`, `"module"`, `"kernel"`)
/// from the table; the object is dropped when its last user is done.
pub(crate) fn release<T>(ptr: *const T, want: &str) -> Result<(), Failure> {
    let obj = find(ptr, want)?;
    if obj.kind() != want {
        return Err(wrong_kind(&obj, want));
    }
    let removed = table()
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&ptr.addr());
    match removed {
        Some(obj) => {
            // Dropped outside the lock: a kernel's drop may take time.
            drop(obj);
            Ok(())
        }
        // Another thread freed it between the look-up and the removal.
        None => Err(fail(
            crate::BlazeStatus::BLAZE_ERR_INVALID_HANDLE,
            format!("the {want} handle {ptr:p} was freed already"),
        )),
    }
}
