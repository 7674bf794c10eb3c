//! Tensors at the boundary: a caller's `DLTensor` is checked field by field
//! (pointers, device, element type, rank, lengths, alignment, the extent
//! of its strides) against the kernel's signature before any element is
//! read; inputs then become views of the caller's memory (booleans are
//! copied), outputs writable views the engine writes in place; results of
//! several outputs are copied into the caller's tensors, and
//! `DLManagedTensor`s take over blaze's result memory without a copy.

use crate::dlpack::{
    DLDataType, DLDataTypeCode, DLDevice, DLDeviceType, DLManagedTensor, DLTensor,
};
use crate::error::{fail, record_failure, Failure};
use crate::BlazeStatus::*;
use blaze::datashape::{Datashape, Dim, Measure, Scalar};
use blaze::interp::{Array, Value};
use ndarray::ArrayD;
use num_complex::{Complex32, Complex64};
use std::collections::{HashMap, HashSet};
use std::ffi::c_void;
use std::sync::{Mutex, OnceLock};

/// The most dimensions a tensor may have (a guard against garbage `ndim`).
const MAX_NDIM: i32 = 64;

/// Where a parameter or output of a kernel stands in its signature.
#[derive(Clone, Debug)]
pub(crate) struct Slot {
    /// `input `x`` or `output 0`, for messages.
    pub what: String,
    /// Its datashape.
    pub ty: Datashape,
}

impl Slot {
    /// The element type, or why this slot cannot be a tensor.
    fn scalar(&self) -> Result<Scalar, Failure> {
        let why = match &self.ty.measure {
            Measure::Scalar { scalar } => return Ok(*scalar),
            Measure::Option { .. } => "may hold missing values, which a DLTensor cannot carry",
            Measure::Record { .. } => "is a record, which a DLTensor cannot carry",
            Measure::Tuple { .. } => "is a tuple nested in an array, which DLTensors cannot carry",
            _ => "has no fixed-size numeric element type",
        };
        Err(fail(
            BLAZE_ERR_UNSUPPORTED,
            format!("{} has type `{}`, which {why}", self.what, self.ty),
        ))
    }

    /// Checks `shape` against the dimensions of the type, binding symbolic
    /// lengths in `sizes` (when `bind`) or comparing with those bound.
    fn check_shape(
        &self,
        shape: &[usize],
        sizes: &mut HashMap<String, usize>,
        bind: bool,
    ) -> Result<(), Failure> {
        let dims = &self.ty.dims;
        if let Some(d) = dims.iter().find(|d| matches!(d, Dim::Var(_))) {
            return Err(fail(
                BLAZE_ERR_UNSUPPORTED,
                format!(
                    "{} has type `{}`, whose ragged dimension `{d}` a DLTensor cannot carry",
                    self.what, self.ty
                ),
            ));
        }
        let ellipsis = dims.iter().position(|d| matches!(d, Dim::Ellipsis(_)));
        let pairs: Vec<(usize, &Dim)> = match ellipsis {
            None => {
                if shape.len() != dims.len() {
                    return Err(fail(
                        BLAZE_ERR_SHAPE,
                        format!(
                            "{} has {} dimension{} (shape {shape:?}), but its type `{}` has {}",
                            self.what,
                            shape.len(),
                            plural(shape.len()),
                            self.ty,
                            dims.len()
                        ),
                    ));
                }
                dims.iter().enumerate().collect()
            }
            Some(e) => {
                let fixed = dims.len() - 1;
                if shape.len() < fixed {
                    return Err(fail(
                        BLAZE_ERR_SHAPE,
                        format!(
                            "{} has {} dimension{} (shape {shape:?}), but its type `{}` needs at least {fixed}",
                            self.what,
                            shape.len(),
                            plural(shape.len()),
                            self.ty
                        ),
                    ));
                }
                let tail = dims.len() - e - 1;
                let mut v: Vec<(usize, &Dim)> = dims[..e].iter().enumerate().collect();
                v.extend(
                    dims[e + 1..]
                        .iter()
                        .enumerate()
                        .map(|(i, d)| (shape.len() - tail + i, d)),
                );
                v
            }
        };
        for (axis, d) in pairs {
            let n = shape[axis];
            match d {
                Dim::Fixed(m) if *m as usize != n => {
                    return Err(fail(
                        BLAZE_ERR_SHAPE,
                        format!(
                            "{} has length {n} on axis {axis}, but its type `{}` says {m}",
                            self.what, self.ty
                        ),
                    ))
                }
                Dim::TypeVar(var) => match sizes.get(var) {
                    Some(&m) if m != n => {
                        return Err(fail(
                            BLAZE_ERR_SHAPE,
                            format!(
                                "{} has length {n} on axis {axis} for `{var}` (type `{}`), but `{var}` is {m} from the inputs before it",
                                self.what, self.ty
                            ),
                        ))
                    }
                    Some(_) => {}
                    None if bind => {
                        sizes.insert(var.clone(), n);
                    }
                    None => {}
                },
                _ => {}
            }
        }
        Ok(())
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// A caller's tensor after its fields were checked: the address of its
/// first element, element type, lengths and strides in elements.
#[derive(Debug)]
pub(crate) struct View {
    first: *mut u8,
    scalar: Scalar,
    shape: Vec<usize>,
    strides: Vec<isize>,
    count: usize,
}

/// The blaze element type of a DLPack data type.
pub(crate) fn dtype_scalar(dt: DLDataType) -> Result<Scalar, String> {
    use DLDataTypeCode::*;
    if dt.lanes != 1 {
        return Err(format!(
            "dtype has {} lanes; blaze takes scalar elements (lanes = 1)",
            dt.lanes
        ));
    }
    let s = match (dt.code, dt.bits) {
        (c, 8) if c == kDLBool as u8 => Scalar::Bool,
        (c, 8) if c == kDLInt as u8 => Scalar::Int8,
        (c, 16) if c == kDLInt as u8 => Scalar::Int16,
        (c, 32) if c == kDLInt as u8 => Scalar::Int32,
        (c, 64) if c == kDLInt as u8 => Scalar::Int64,
        (c, 8) if c == kDLUInt as u8 => Scalar::UInt8,
        (c, 16) if c == kDLUInt as u8 => Scalar::UInt16,
        (c, 32) if c == kDLUInt as u8 => Scalar::UInt32,
        (c, 64) if c == kDLUInt as u8 => Scalar::UInt64,
        (c, 16) if c == kDLFloat as u8 => Scalar::Float16,
        (c, 32) if c == kDLFloat as u8 => Scalar::Float32,
        (c, 64) if c == kDLFloat as u8 => Scalar::Float64,
        (c, 64) if c == kDLComplex as u8 => Scalar::Complex64,
        (c, 128) if c == kDLComplex as u8 => Scalar::Complex128,
        (c, _) if c == kDLBfloat as u8 => {
            return Err("dtype is bfloat16 (kDLBfloat), which blaze has no type for".into())
        }
        (c, b) => {
            let name = match c {
                0 => "kDLInt",
                1 => "kDLUInt",
                2 => "kDLFloat",
                3 => "kDLOpaqueHandle",
                5 => "kDLComplex",
                6 => "kDLBool",
                _ => "an unknown code",
            };
            return Err(format!(
                "dtype {{code {c} ({name}), bits {b}}} is not an element type blaze has"
            ));
        }
    };
    Ok(s)
}

/// The DLPack data type of a blaze element type.
pub(crate) fn scalar_dtype(s: Scalar) -> DLDataType {
    use DLDataTypeCode::*;
    let (code, bits) = match s {
        Scalar::Bool => (kDLBool, 8),
        Scalar::Int8 => (kDLInt, 8),
        Scalar::Int16 => (kDLInt, 16),
        Scalar::Int32 => (kDLInt, 32),
        Scalar::Int64 => (kDLInt, 64),
        Scalar::UInt8 => (kDLUInt, 8),
        Scalar::UInt16 => (kDLUInt, 16),
        Scalar::UInt32 => (kDLUInt, 32),
        Scalar::UInt64 => (kDLUInt, 64),
        Scalar::Float16 => (kDLFloat, 16),
        Scalar::Float32 => (kDLFloat, 32),
        Scalar::Float64 => (kDLFloat, 64),
        Scalar::Complex64 => (kDLComplex, 64),
        Scalar::Complex128 => (kDLComplex, 128),
    };
    DLDataType {
        code: code as u8,
        bits,
        lanes: 1,
    }
}

/// The alignment blaze requires of an element (that of the C type).
fn align_of_scalar(s: Scalar) -> usize {
    match s {
        Scalar::Complex64 => std::mem::align_of::<Complex32>(),
        Scalar::Complex128 => std::mem::align_of::<Complex64>(),
        s => s.size_bytes(),
    }
}

fn misaligned(addr: usize, align: usize) -> bool {
    addr % align != 0
}

/// Reads `n` `int64_t`s at `p`, which the caller names `field`.
///
/// # Safety
/// `p` is non-null, aligned, and (by the DLPack contract) points at `n`
/// readable values.
unsafe fn read_i64s(p: *const i64, n: usize) -> Vec<i64> {
    (0..n).map(|i| p.add(i).read()).collect()
}

/// Checks the fields of tensor `t` (called `what` in messages) and returns
/// its view. Reads only the tensor struct and its `shape`/`strides`
/// arrays, never the data.
///
/// # Safety
/// If `t` is non-null and aligned it points at a `DLTensor` whose `shape`
/// and `strides`, when non-null and aligned, hold `ndim` values — the
/// DLPack contract, which nothing can check.
pub(crate) unsafe fn view(t: *const DLTensor, what: &str) -> Result<View, Failure> {
    if t.is_null() {
        return Err(fail(BLAZE_ERR_NULL_POINTER, format!("{what} is NULL")));
    }
    if misaligned(t.addr(), std::mem::align_of::<DLTensor>()) {
        return Err(fail(
            BLAZE_ERR_ALIGNMENT,
            format!("{what}: the DLTensor pointer {t:p} is not aligned to 8 bytes"),
        ));
    }
    // Read as an integer: the caller may have stored any value in the enum.
    let device_type = std::ptr::addr_of!((*t).device.device_type)
        .cast::<i32>()
        .read();
    if device_type != DLDeviceType::kDLCPU as i32 {
        return Err(fail(
            BLAZE_ERR_DEVICE,
            format!(
                "{what} is on device type {device_type}; blaze runs on host memory (kDLCPU = 1)"
            ),
        ));
    }
    let dtype = std::ptr::addr_of!((*t).dtype).read();
    let scalar = dtype_scalar(dtype).map_err(|m| fail(BLAZE_ERR_DTYPE, format!("{what}: {m}")))?;
    let ndim = std::ptr::addr_of!((*t).ndim).read();
    if !(0..=MAX_NDIM).contains(&ndim) {
        return Err(fail(
            BLAZE_ERR_SHAPE,
            format!("{what} has ndim {ndim}; it must be between 0 and {MAX_NDIM}"),
        ));
    }
    let ndim = ndim as usize;
    let shape_ptr = std::ptr::addr_of!((*t).shape).read();
    let strides_ptr = std::ptr::addr_of!((*t).strides).read();
    let shape = if ndim == 0 {
        vec![]
    } else if shape_ptr.is_null() {
        return Err(fail(
            BLAZE_ERR_NULL_POINTER,
            format!("{what}: shape is NULL but ndim is {ndim}"),
        ));
    } else if misaligned(shape_ptr.addr(), 8) {
        return Err(fail(
            BLAZE_ERR_ALIGNMENT,
            format!("{what}: shape ({shape_ptr:p}) is not aligned for int64_t"),
        ));
    } else {
        read_i64s(shape_ptr, ndim)
    };
    let mut lengths = Vec::with_capacity(ndim);
    for (axis, &n) in shape.iter().enumerate() {
        if n < 0 {
            return Err(fail(
                BLAZE_ERR_SHAPE,
                format!("{what} has negative length {n} on axis {axis}"),
            ));
        }
        lengths.push(usize::try_from(n).map_err(|_| {
            fail(
                BLAZE_ERR_SHAPE,
                format!("{what}: length {n} on axis {axis} is too large"),
            )
        })?);
    }
    let count = lengths
        .iter()
        .try_fold(1usize, |acc, &n| acc.checked_mul(n))
        .filter(|&c| c <= isize::MAX as usize / scalar.size_bytes())
        .ok_or_else(|| {
            fail(
                BLAZE_ERR_SHAPE,
                format!("{what}: shape {shape:?} has more elements than memory can hold"),
            )
        })?;
    let strides: Vec<isize> = if strides_ptr.is_null() || ndim == 0 {
        // Compact row-major.
        let mut s = vec![0isize; ndim];
        let mut acc = 1isize;
        for axis in (0..ndim).rev() {
            s[axis] = acc;
            acc = acc.saturating_mul(lengths[axis].max(1) as isize);
        }
        s
    } else if misaligned(strides_ptr.addr(), 8) {
        return Err(fail(
            BLAZE_ERR_ALIGNMENT,
            format!("{what}: strides ({strides_ptr:p}) is not aligned for int64_t"),
        ));
    } else {
        read_i64s(strides_ptr, ndim)
            .into_iter()
            .map(|s| s as isize)
            .collect()
    };
    let data = std::ptr::addr_of!((*t).data).read();
    let byte_offset = std::ptr::addr_of!((*t).byte_offset).read();
    let size = scalar.size_bytes();
    if count == 0 {
        return Ok(View {
            first: std::ptr::null_mut(),
            scalar,
            shape: lengths,
            strides,
            count,
        });
    }
    if data.is_null() {
        return Err(fail(
            BLAZE_ERR_NULL_POINTER,
            format!(
                "{what}: data is NULL, but the tensor has {count} element{}",
                plural(count)
            ),
        ));
    }
    let first_addr = usize::try_from(byte_offset)
        .ok()
        .and_then(|o| data.addr().checked_add(o))
        .ok_or_else(|| {
            fail(
                BLAZE_ERR_SHAPE,
                format!("{what}: byte_offset {byte_offset} runs past the address space"),
            )
        })?;
    let align = align_of_scalar(scalar);
    if misaligned(first_addr, align) {
        return Err(fail(
            BLAZE_ERR_ALIGNMENT,
            format!(
                "{what}: its first element (data {data:p} + byte_offset {byte_offset}) is not aligned to {align} bytes for {}",
                scalar
            ),
        ));
    }
    // The elements must lie within the address space: lowest and highest
    // byte reached from the first element.
    let (mut low, mut high) = (0i128, 0i128);
    for (axis, (&n, &s)) in lengths.iter().zip(&strides).enumerate() {
        let reach = (n as i128 - 1) * s as i128 * size as i128;
        if reach < 0 {
            low += reach;
        } else {
            high += reach;
        }
        if low < -(first_addr as i128)
            || first_addr as i128 + high + size as i128 > isize::MAX as i128
        {
            return Err(fail(
                BLAZE_ERR_SHAPE,
                format!("{what}: stride {s} on axis {axis} reaches outside the address space"),
            ));
        }
    }
    Ok(View {
        first: data.cast::<u8>().wrapping_add(first_addr - data.addr()),
        scalar,
        shape: lengths,
        strides,
        count,
    })
}

impl View {
    fn compact(&self) -> bool {
        let mut acc = 1isize;
        for (&n, &s) in self.shape.iter().zip(&self.strides).rev() {
            if n > 1 && s != acc {
                return false;
            }
            acc *= n as isize;
        }
        true
    }

    /// Element offsets (in elements) in C order.
    fn offsets(&self) -> impl Iterator<Item = isize> + '_ {
        let rank = self.shape.len();
        let mut index = vec![0usize; rank];
        let mut off = 0isize;
        let mut left = self.count;
        std::iter::from_fn(move || {
            if left == 0 {
                return None;
            }
            left -= 1;
            let here = off;
            for axis in (0..rank).rev() {
                index[axis] += 1;
                off += self.strides[axis];
                if index[axis] < self.shape[axis] {
                    break;
                }
                off -= self.strides[axis] * self.shape[axis] as isize;
                index[axis] = 0;
            }
            Some(here)
        })
    }

    /// Writes `items` (C order) into the view.
    ///
    /// # Safety
    /// The view's memory is writable and its elements do not overlap.
    unsafe fn scatter<T: Copy>(&self, items: impl Iterator<Item = T>) {
        let p = self.first.cast::<T>();
        for (o, x) in self.offsets().zip(items) {
            p.offset(o).write(x);
        }
    }

    /// Whether two different indices reach one element (a stride of 0 on
    /// an axis longer than 1), which an output must not do.
    fn overlapping(&self) -> Option<usize> {
        (0..self.shape.len()).find(|&a| self.shape[a] > 1 && self.strides[a] == 0)
    }
}

impl View {
    /// The element type.
    pub(crate) fn scalar(&self) -> Scalar {
        self.scalar
    }

    /// The checked view as blaze's dense view of the caller's memory (no
    /// copy), for the engine to read in place.
    ///
    /// # Safety
    /// The caller's memory stays readable and unwritten while the returned
    /// view is used.
    pub(crate) unsafe fn dense_view<'a>(&self) -> blaze::array::DenseView<'a> {
        let size = self.scalar.size_bytes() as isize;
        blaze::array::DenseView::from_raw_parts(
            self.first.cast_const(),
            self.scalar,
            self.shape.clone(),
            self.strides.iter().map(|s| s * size).collect(),
            None,
        )
    }
}

impl View {
    /// The checked view as blaze's writable view of the caller's memory
    /// (no copy), for the engine to write the result into.
    ///
    /// # Safety
    /// The caller's memory is writable while the returned view is used,
    /// and its elements are not read or written by anyone else but through
    /// input views the engine checks for overlap.
    pub(crate) unsafe fn dense_view_mut<'a>(&self) -> blaze::array::DenseViewMut<'a> {
        let size = self.scalar.size_bytes() as isize;
        blaze::array::DenseViewMut::from_raw_parts(
            self.first,
            self.scalar,
            self.shape.clone(),
            self.strides.iter().map(|s| s * size).collect(),
        )
    }
}

/// The value of a checked input view: its elements copied into an array
/// (any nonzero byte of a `bool` is true).
///
/// # Safety
/// The view's memory is readable.
pub(crate) unsafe fn to_value(v: &View) -> Result<Value, Failure> {
    blaze::runtime::value::view_to_value(&v.dense_view()).map_err(internal)
}

fn internal(e: impl std::fmt::Display) -> Failure {
    fail(BLAZE_ERR_PANIC, format!("internal error: {e}"))
}

/// Checks `t` as the input for `slot`: the view, its element type and its
/// shape (binding symbolic lengths).
///
/// # Safety
/// As [`view`].
pub(crate) unsafe fn input(
    t: *const DLTensor,
    slot: &Slot,
    sizes: &mut HashMap<String, usize>,
) -> Result<View, Failure> {
    let v = typed_view(t, slot, "its type")?;
    slot.check_shape(&v.shape, sizes, true)?;
    Ok(v)
}

/// The view of `t` if it holds the element type of `slot`; `what` names
/// the type in the error (`its type`, `the result type`).
///
/// # Safety
/// As [`view`].
unsafe fn typed_view(t: *const DLTensor, slot: &Slot, what: &str) -> Result<View, Failure> {
    let want = slot.scalar()?;
    let v = view(t, &slot.what)?;
    if v.scalar != want {
        return Err(fail(
            BLAZE_ERR_DTYPE,
            format!(
                "{} holds {}, but {what} is `{}`",
                slot.what, v.scalar, slot.ty
            ),
        ));
    }
    Ok(v)
}

/// Checks `t` as the output for `slot` before the call: element type,
/// rank, the lengths the signature fixes, no overlapping elements.
///
/// # Safety
/// As [`view`].
pub(crate) unsafe fn output(
    t: *const DLTensor,
    slot: &Slot,
    sizes: &mut HashMap<String, usize>,
) -> Result<View, Failure> {
    let v = typed_view(t, slot, "the result type")?;
    slot.check_shape(&v.shape, sizes, false)?;
    if let Some(axis) = v.overlapping() {
        return Err(fail(
            BLAZE_ERR_SHAPE,
            format!(
                "{} has stride 0 on axis {axis} of length {}: its elements overlap",
                slot.what, v.shape[axis]
            ),
        ));
    }
    Ok(v)
}

/// The plain array inside a result value.
fn result_array<'a>(v: &'a Value, slot: &Slot) -> Result<&'a Array, Failure> {
    match v {
        Value::Array {
            data,
            missing: None,
        } => Ok(data),
        Value::Array { .. } => Err(fail(
            BLAZE_ERR_UNSUPPORTED,
            format!(
                "{} has missing values, which a DLTensor cannot carry",
                slot.what
            ),
        )),
        _ => Err(fail(
            BLAZE_ERR_UNSUPPORTED,
            format!(
                "{} is a record or a tuple, which a DLTensor cannot carry",
                slot.what
            ),
        )),
    }
}

/// Checks that a result fits a checked output view.
pub(crate) fn check_result(v: &Value, out: &View, slot: &Slot) -> Result<(), Failure> {
    let a = result_array(v, slot)?;
    if a.shape() != out.shape.as_slice() {
        return Err(fail(
            BLAZE_ERR_SHAPE,
            format!(
                "{} has shape {:?}, but the result has shape {:?}",
                slot.what,
                out.shape,
                a.shape()
            ),
        ));
    }
    if a.scalar() != out.scalar {
        return Err(internal(format!(
            "the result holds {}, not {}",
            a.scalar(),
            out.scalar
        )));
    }
    Ok(())
}

/// Copies a result into a checked output view.
///
/// # Safety
/// The view's memory is writable.
pub(crate) unsafe fn store(v: &Value, out: &View, slot: &Slot) -> Result<(), Failure> {
    check_result(v, out, slot)?;
    if out.count == 0 {
        // Nothing to write, and `first` may be NULL.
        return Ok(());
    }
    let a = result_array(v, slot)?;
    macro_rules! put {
        ($x:expr) => {
            match ($x.as_slice(), out.compact()) {
                (Some(s), true) => {
                    std::ptr::copy_nonoverlapping(s.as_ptr(), out.first.cast(), s.len())
                }
                _ => out.scatter($x.iter().copied()),
            }
        };
    }
    match a {
        Array::Bool(x) => out.scatter(x.iter().map(|&b| b as u8)),
        Array::Int8(x) => put!(x),
        Array::Int16(x) => put!(x),
        Array::Int32(x) => put!(x),
        Array::Int64(x) => put!(x),
        Array::UInt8(x) => put!(x),
        Array::UInt16(x) => put!(x),
        Array::UInt32(x) => put!(x),
        Array::UInt64(x) => put!(x),
        Array::Float16(x) => put!(x),
        Array::Float32(x) => put!(x),
        Array::Float64(x) => put!(x),
        Array::Complex64(x) => put!(x),
        Array::Complex128(x) => put!(x),
    }
    Ok(())
}

/// What a blaze-allocated tensor owns.
struct Owned {
    _data: Box<dyn std::any::Any>,
    shape: Vec<i64>,
    strides: Vec<i64>,
}

/// Addresses of the managed tensors blaze handed out and not yet freed.
fn live_tensors() -> &'static Mutex<HashSet<usize>> {
    static LIVE: OnceLock<Mutex<HashSet<usize>>> = OnceLock::new();
    LIVE.get_or_init(|| Mutex::new(HashSet::new()))
}

/// A new `DLManagedTensor` over the result's own memory: the array is
/// moved into the tensor's manager context (no copy) and freed by its
/// deleter; `strides` are the array's (C order for a kernel's result).
pub(crate) fn managed(v: Value, slot: &Slot) -> Result<*mut DLManagedTensor, Failure> {
    result_array(&v, slot)?;
    let Value::Array { data: a, .. } = v else {
        return Err(internal("the result is not an array"));
    };
    let scalar = a.scalar();
    fn boxed<T: 'static>(x: ArrayD<T>) -> (Box<dyn std::any::Any>, *mut c_void, Vec<i64>) {
        let strides = x.strides().iter().map(|&s| s as i64).collect();
        let mut b = Box::new(x);
        // A bool is one byte, 0 or 1: DLPack's kDLBool as it stands.
        let p = b.as_mut_ptr().cast::<c_void>();
        (b, p, strides)
    }
    let shape: Vec<i64> = a.shape().iter().map(|&n| n as i64).collect();
    let (data, ptr, strides) = match a {
        Array::Bool(x) => boxed(x),
        Array::Int8(x) => boxed(x),
        Array::Int16(x) => boxed(x),
        Array::Int32(x) => boxed(x),
        Array::Int64(x) => boxed(x),
        Array::UInt8(x) => boxed(x),
        Array::UInt16(x) => boxed(x),
        Array::UInt32(x) => boxed(x),
        Array::UInt64(x) => boxed(x),
        Array::Float16(x) => boxed(x),
        Array::Float32(x) => boxed(x),
        Array::Float64(x) => boxed(x),
        Array::Complex64(x) => boxed(x),
        Array::Complex128(x) => boxed(x),
    };
    let mut owned = Box::new(Owned {
        _data: data,
        shape,
        strides,
    });
    let tensor = DLTensor {
        data: ptr,
        device: DLDevice {
            device_type: DLDeviceType::kDLCPU,
            device_id: 0,
        },
        ndim: owned.shape.len() as i32,
        dtype: scalar_dtype(scalar),
        shape: owned.shape.as_mut_ptr(),
        strides: owned.strides.as_mut_ptr(),
        byte_offset: 0,
    };
    let m = Box::into_raw(Box::new(DLManagedTensor {
        dl_tensor: tensor,
        manager_ctx: Box::into_raw(owned).cast(),
        deleter: Some(delete_managed),
    }));
    live_tensors()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(m.addr());
    Ok(m)
}

/// Frees a managed tensor blaze made; an error if `t` is not one that is
/// live (freed already, or not blaze's).
pub(crate) fn free_managed(t: *mut DLManagedTensor) -> Result<(), Failure> {
    if t.is_null() {
        return Err(fail(BLAZE_ERR_NULL_POINTER, "the tensor is NULL"));
    }
    let was_live = live_tensors()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&t.addr());
    if !was_live {
        return Err(fail(
            BLAZE_ERR_INVALID_HANDLE,
            format!("{t:p} is not a live tensor from blaze: it was freed already, or blaze did not allocate it"),
        ));
    }
    // SAFETY: `t` came from `managed` (it was in the live set) and is
    // removed from the set, so it is freed once.
    unsafe {
        let m = Box::from_raw(t);
        drop(Box::from_raw(m.manager_ctx.cast::<Owned>()));
    }
    Ok(())
}

/// The `deleter` of blaze's managed tensors. A second call on one tensor
/// is reported as the thread's last error instead of freeing again.
unsafe extern "C" fn delete_managed(t: *mut DLManagedTensor) {
    crate::error::guard_value((), || {
        if let Err(f) = free_managed(t) {
            record_failure(&fail(
                f.status,
                format!("DLManagedTensor deleter: {}", f.message),
            ));
        }
    })
}
