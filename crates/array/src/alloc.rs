//! Fallible allocation of buffers whose size comes from data or a program.
//!
//! Every engine allocates its results through this module (or checks their
//! size with [`check`] first), so that a result too large for the process
//! is an [`AllocError`] naming the operation and the size
//! (`the result of forall i, j needs 298 GiB; the memory limit is 64 MiB`)
//! instead of an abort in the allocator. A request is refused when
//!
//! - its size in bytes overflows (or exceeds `isize::MAX`, Rust's bound on
//!   one allocation);
//! - it exceeds the memory limit in force on this thread ([`limit_scope`]:
//!   a session's `--memory-limit`);
//! - it exceeds what the machine has: `MemAvailable` plus `SwapFree` of
//!   `/proc/meminfo` on Linux, read for requests of 16 MiB and more;
//! - the allocator returns no memory (the allocation is made with
//!   `try_reserve` or `alloc_zeroed`, never with an aborting call).

use std::cell::Cell;
use std::fmt;

/// Requests below this size are not checked against the machine's memory
/// (reading `/proc/meminfo` costs more than they do).
const MACHINE_CHECK_BYTES: u128 = 16 << 20;

/// Why a buffer could not be allocated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllocError {
    /// What was being allocated (`the result of forall i, j`).
    pub what: String,
    /// Its size in bytes (`None` when the size itself overflows).
    pub bytes: Option<u128>,
    /// Why it was refused.
    pub reason: AllocReason,
}

/// Why an allocation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocReason {
    /// The size does not fit in the address space.
    Overflow,
    /// The size exceeds the memory limit (bytes) in force.
    Limit(u64),
    /// The size exceeds the memory and swap the machine has available
    /// (bytes).
    Machine(u64),
    /// The allocator returned no memory.
    Failed,
}

impl fmt::Display for AllocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.bytes, self.reason) {
            (None, _) | (_, AllocReason::Overflow) => {
                write!(f, "the size of {} overflows the address space", self.what)
            }
            (Some(b), AllocReason::Limit(l)) => write!(
                f,
                "{} needs {}; the memory limit is {}",
                self.what,
                human(b),
                human(l as u128)
            ),
            (Some(b), AllocReason::Machine(m)) => write!(
                f,
                "{} needs {}; the machine has {} of memory and swap available",
                self.what,
                human(b),
                human(m as u128)
            ),
            (Some(b), AllocReason::Failed) => {
                write!(f, "{} needs {}; the allocation failed", self.what, human(b))
            }
        }
    }
}

impl std::error::Error for AllocError {}

/// `bytes` in binary units with at most three significant digits:
/// `298 GiB`, `1.5 MiB`, `512 B`.
pub fn human(bytes: u128) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        return format!("{bytes} B");
    }
    let digits = if v >= 100.0 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.1}");
        s.strip_suffix(".0").map_or(s.clone(), str::to_string)
    };
    format!("{digits} {}", UNITS[u])
}

thread_local! {
    static LIMIT: Cell<Option<u64>> = const { Cell::new(None) };
}

/// The memory limit in force on this thread, if any.
pub fn limit() -> Option<u64> {
    LIMIT.with(Cell::get)
}

/// Restores the previous limit when dropped (see [`limit_scope`]).
#[must_use = "the limit holds while the guard lives"]
#[derive(Debug)]
pub struct LimitGuard {
    previous: Option<u64>,
}

impl Drop for LimitGuard {
    fn drop(&mut self) {
        LIMIT.with(|l| l.set(self.previous));
    }
}

/// Puts `limit` (bytes; `None`: no limit) in force on this thread until
/// the guard is dropped: every [`check`] on this thread meanwhile refuses a
/// single request above it.
pub fn limit_scope(limit: Option<u64>) -> LimitGuard {
    let previous = LIMIT.with(|l| l.replace(limit));
    LimitGuard { previous }
}

/// Memory and swap available to the process (bytes): `MemAvailable` plus
/// `SwapFree` of `/proc/meminfo`; `None` where that is not known.
pub fn available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = text.lines().find(|l| l.starts_with(name))?;
        let kib: u64 = line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        kib.checked_mul(1024)
    };
    let mem = field("MemAvailable:")?;
    Some(mem.saturating_add(field("SwapFree:").unwrap_or(0)))
}

/// `an array of 200000 × 200000 float64`: what an allocation without a
/// better name holds.
pub fn describe(shape: &[usize], scalar: blaze_datashape::Scalar) -> String {
    if shape.is_empty() {
        return format!("a {scalar} scalar");
    }
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    format!("an array of {} {scalar}", dims.join(" × "))
}

/// The number of elements of `shape` (checked product), or an overflow
/// error for `what`.
pub fn elements(shape: &[usize], what: &str) -> Result<usize, AllocError> {
    shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .ok_or_else(|| overflow(what))
}

/// The size in bytes of `len` elements of `elem_size` bytes, checked
/// against overflow, the limit in force and the machine's memory.
pub fn bytes(len: usize, elem_size: usize, what: &str) -> Result<usize, AllocError> {
    let n = len
        .checked_mul(elem_size)
        .filter(|&n| n <= isize::MAX as usize)
        .ok_or_else(|| overflow(what))?;
    check(n as u128, what)?;
    Ok(n)
}

/// The size in bytes of an array of `shape` with elements of `elem_size`
/// bytes, checked as [`bytes`] does.
pub fn shape_bytes(shape: &[usize], elem_size: usize, what: &str) -> Result<usize, AllocError> {
    bytes(elements(shape, what)?, elem_size, what)
}

/// Whether `bytes` may be allocated for `what`: within the limit in force
/// on this thread and within what the machine has.
pub fn check(bytes: u128, what: &str) -> Result<(), AllocError> {
    let refuse = |reason| AllocError {
        what: what.to_string(),
        bytes: Some(bytes),
        reason,
    };
    if bytes > isize::MAX as u128 {
        return Err(refuse(AllocReason::Overflow));
    }
    if let Some(l) = limit() {
        if bytes > l as u128 {
            return Err(refuse(AllocReason::Limit(l)));
        }
    }
    if bytes >= MACHINE_CHECK_BYTES {
        if let Some(m) = available() {
            if bytes > m as u128 {
                return Err(refuse(AllocReason::Machine(m)));
            }
        }
    }
    Ok(())
}

fn overflow(what: &str) -> AllocError {
    AllocError {
        what: what.to_string(),
        bytes: None,
        reason: AllocReason::Overflow,
    }
}

/// Element types whose all-zero bit pattern is a valid value (zero, false,
/// `0 + 0i`).
///
/// # Safety
/// Implementors must be valid for every byte being 0.
pub unsafe trait Zeroed: Copy {}

macro_rules! zeroed {
    ($($t:ty),*) => { $(
        // SAFETY: a primitive number, bool or complex of them: all-zero
        // bytes are its zero.
        unsafe impl Zeroed for $t {}
    )* };
}
zeroed!(
    bool,
    i8,
    i16,
    i32,
    i64,
    u8,
    u16,
    u32,
    u64,
    usize,
    isize,
    f32,
    f64,
    half::f16,
    num_complex::Complex<f32>,
    num_complex::Complex<f64>
);

/// `len` zeros of `T`, checked ([`bytes`]) and allocated fallibly (with
/// `alloc_zeroed`, so untouched pages cost nothing).
pub fn try_zeroed<T: Zeroed>(len: usize, what: &str) -> Result<Vec<T>, AllocError> {
    let n = bytes(len, std::mem::size_of::<T>(), what)?;
    if n == 0 {
        let mut v = Vec::new();
        v.try_reserve_exact(len).map_err(|_| failed(n, what))?;
        v.resize(len, zero::<T>());
        return Ok(v);
    }
    let layout = std::alloc::Layout::array::<T>(len).map_err(|_| overflow(what))?;
    // SAFETY: `layout` has a non-zero size; a null result is handled.
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<T>();
    if ptr.is_null() {
        return Err(failed(n, what));
    }
    // SAFETY: `ptr` was allocated by the global allocator with the layout of
    // `[T; len]`, and zero bytes are valid `T`s (`Zeroed`).
    Ok(unsafe { Vec::from_raw_parts(ptr, len, len) })
}

/// `len` copies of `value`, checked ([`bytes`]) and reserved fallibly.
pub fn try_filled<T: Clone>(len: usize, value: T, what: &str) -> Result<Vec<T>, AllocError> {
    let n = bytes(len, std::mem::size_of::<T>(), what)?;
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| failed(n, what))?;
    v.resize(len, value);
    Ok(v)
}

/// An empty vector with room for `len` elements, checked ([`bytes`]) and
/// reserved fallibly.
pub fn try_with_capacity<T>(len: usize, what: &str) -> Result<Vec<T>, AllocError> {
    let n = bytes(len, std::mem::size_of::<T>(), what)?;
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| failed(n, what))?;
    Ok(v)
}

fn zero<T: Zeroed>() -> T {
    // SAFETY: all-zero bytes are a valid `T` (`Zeroed`).
    unsafe { std::mem::zeroed() }
}

fn failed(bytes: usize, what: &str) -> AllocError {
    AllocError {
        what: what.to_string(),
        bytes: Some(bytes as u128),
        reason: AllocReason::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_in_binary_units() {
        assert_eq!(human(512), "512 B");
        assert_eq!(human(1536), "1.5 KiB");
        assert_eq!(human(64 << 20), "64 MiB");
        assert_eq!(human(320_000_000_000), "298 GiB");
    }

    #[test]
    fn refuses_overflow_limit_and_the_machine() {
        let e = try_zeroed::<f64>(usize::MAX / 4, "the result of x").unwrap_err();
        assert_eq!(e.reason, AllocReason::Overflow);
        assert!(elements(&[usize::MAX, 3], "s").is_err());
        {
            let _g = limit_scope(Some(64 << 20));
            let e = try_zeroed::<f64>(40_000_000_000, "the result of forall i, j").unwrap_err();
            assert_eq!(
                e.to_string(),
                "the result of forall i, j needs 298 GiB; the memory limit is 64 MiB"
            );
            assert_eq!(try_zeroed::<f64>(1000, "small").map(|v| v.len()), Ok(1000));
        }
        assert_eq!(limit(), None);
        if available().is_some() {
            let e = try_filled(1usize << 60, 0u8, "a huge buffer").unwrap_err();
            assert!(matches!(e.reason, AllocReason::Machine(_)), "{e}");
        }
    }

    #[test]
    fn zeroed_buffers_are_zero() {
        let v = try_zeroed::<num_complex::Complex<f64>>(5000, "z").unwrap();
        assert!(v.iter().all(|c| c.re == 0.0 && c.im == 0.0));
        let v = try_zeroed::<bool>(0, "empty").unwrap();
        assert!(v.is_empty());
    }
}
