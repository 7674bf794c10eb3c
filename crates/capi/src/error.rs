//! Status codes, the thread's last error, and the guard every entry point
//! runs in: it catches panics (none may cross into C) and records the
//! outcome of the call.

#![allow(non_camel_case_types)]

use std::cell::RefCell;
use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The status every fallible function returns (an `int32_t`): `BLAZE_OK`
/// or the kind of failure; `blaze_last_error_message` says what and where.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlazeStatus {
    /// Success.
    BLAZE_OK = 0,
    /// A required pointer argument is NULL.
    BLAZE_ERR_NULL_POINTER = 1,
    /// A handle is not live: freed already, never made by blaze, or a
    /// handle of another kind (a module where a kernel is expected).
    BLAZE_ERR_INVALID_HANDLE = 2,
    /// An argument is out of range: a count, an index, an enum value, text
    /// that is not UTF-8.
    BLAZE_ERR_INVALID_ARGUMENT = 3,
    /// The source does not parse or type-check; the message holds the
    /// rendered diagnostics with the source line and a caret.
    BLAZE_ERR_COMPILE = 4,
    /// A datashape given as text is invalid.
    BLAZE_ERR_DATASHAPE = 5,
    /// No definition of that name.
    BLAZE_ERR_NOT_FOUND = 6,
    /// A tensor's element type is not the one the signature requires, or
    /// is one blaze has no type for (bfloat16, vector lanes).
    BLAZE_ERR_DTYPE = 7,
    /// A tensor's rank, shape or strides do not fit the signature (or each
    /// other), or a length is negative.
    BLAZE_ERR_SHAPE = 8,
    /// A tensor's data pointer (with its byte offset), shape or strides
    /// array is not aligned for its type.
    BLAZE_ERR_ALIGNMENT = 9,
    /// A tensor is not in host memory (`kDLCPU`).
    BLAZE_ERR_DEVICE = 10,
    /// The kernel's types cannot cross the C ABI (records, missing values,
    /// ragged dimensions).
    BLAZE_ERR_UNSUPPORTED = 11,
    /// The kernel failed on these inputs (e.g. a singular matrix).
    BLAZE_ERR_EVAL = 12,
    /// A bug in blaze, caught at the boundary; please report it.
    BLAZE_ERR_PANIC = 13,
}

use BlazeStatus::*;

impl BlazeStatus {
    /// The constant's name, as in the header.
    pub(crate) fn name(self) -> &'static std::ffi::CStr {
        match self {
            BLAZE_OK => c"BLAZE_OK",
            BLAZE_ERR_NULL_POINTER => c"BLAZE_ERR_NULL_POINTER",
            BLAZE_ERR_INVALID_HANDLE => c"BLAZE_ERR_INVALID_HANDLE",
            BLAZE_ERR_INVALID_ARGUMENT => c"BLAZE_ERR_INVALID_ARGUMENT",
            BLAZE_ERR_COMPILE => c"BLAZE_ERR_COMPILE",
            BLAZE_ERR_DATASHAPE => c"BLAZE_ERR_DATASHAPE",
            BLAZE_ERR_NOT_FOUND => c"BLAZE_ERR_NOT_FOUND",
            BLAZE_ERR_DTYPE => c"BLAZE_ERR_DTYPE",
            BLAZE_ERR_SHAPE => c"BLAZE_ERR_SHAPE",
            BLAZE_ERR_ALIGNMENT => c"BLAZE_ERR_ALIGNMENT",
            BLAZE_ERR_DEVICE => c"BLAZE_ERR_DEVICE",
            BLAZE_ERR_UNSUPPORTED => c"BLAZE_ERR_UNSUPPORTED",
            BLAZE_ERR_EVAL => c"BLAZE_ERR_EVAL",
            BLAZE_ERR_PANIC => c"BLAZE_ERR_PANIC",
        }
    }

    /// The status with code `code`, if there is one.
    pub(crate) fn from_code(code: i32) -> Option<BlazeStatus> {
        const ALL: [BlazeStatus; 14] = [
            BLAZE_OK,
            BLAZE_ERR_NULL_POINTER,
            BLAZE_ERR_INVALID_HANDLE,
            BLAZE_ERR_INVALID_ARGUMENT,
            BLAZE_ERR_COMPILE,
            BLAZE_ERR_DATASHAPE,
            BLAZE_ERR_NOT_FOUND,
            BLAZE_ERR_DTYPE,
            BLAZE_ERR_SHAPE,
            BLAZE_ERR_ALIGNMENT,
            BLAZE_ERR_DEVICE,
            BLAZE_ERR_UNSUPPORTED,
            BLAZE_ERR_EVAL,
            BLAZE_ERR_PANIC,
        ];
        ALL.into_iter().find(|s| *s as i32 == code)
    }
}

/// A failed call: its status and what went wrong.
#[derive(Debug)]
pub(crate) struct Failure {
    pub status: BlazeStatus,
    pub message: String,
}

/// A failure of kind `status`.
pub(crate) fn fail(status: BlazeStatus, message: impl Into<String>) -> Failure {
    Failure {
        status,
        message: message.into(),
    }
}

thread_local! {
    static LAST: RefCell<(BlazeStatus, CString)> = RefCell::new((BLAZE_OK, CString::default()));
}

fn record(status: BlazeStatus, message: &str) {
    // Interior NULs cannot appear in a C string; show them instead.
    let text = CString::new(message.replace('\0', "\\0")).unwrap_or_default();
    // `try_with`: during thread teardown the slot may be gone; the status
    // is still returned.
    let _ = LAST.try_with(|l| *l.borrow_mut() = (status, text));
}

/// The thread's last status.
pub(crate) fn last_status() -> BlazeStatus {
    LAST.try_with(|l| l.borrow().0).unwrap_or(BLAZE_OK)
}

/// The thread's last message; valid until the thread's next blaze call.
pub(crate) fn last_message() -> *const c_char {
    LAST.try_with(|l| l.borrow().1.as_ptr())
        .unwrap_or(c"".as_ptr())
}

/// Records a failure that a function without a status (a deleter) met.
pub(crate) fn record_failure(f: &Failure) {
    record(f.status, &f.message);
}

/// Runs the body of an entry point named `func`: its outcome becomes the
/// thread's last error (cleared on success), and a panic becomes
/// `BLAZE_ERR_PANIC` instead of unwinding into C.
pub(crate) fn guard(func: &str, body: impl FnOnce() -> Result<(), Failure>) -> BlazeStatus {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => {
            record(BLAZE_OK, "");
            BLAZE_OK
        }
        Ok(Err(f)) => {
            record(f.status, &format!("{func}: {}", f.message));
            f.status
        }
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            record(
                BLAZE_ERR_PANIC,
                &format!("{func}: internal error (a bug in blaze; please report it): {what}"),
            );
            BLAZE_ERR_PANIC
        }
    }
}

/// Runs `body` for a function that returns a value rather than a status:
/// a panic gives `fallback`.
pub(crate) fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}
