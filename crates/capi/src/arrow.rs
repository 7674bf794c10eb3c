//! The Arrow C Data Interface at the C ABI: kernels called on
//! `ArrowArray`/`ArrowSchema` pairs, so columns with nulls (from pyarrow,
//! polars, DuckDB, …) cross the boundary with their validity bitmaps.
//!
//! ```text
//! C caller ──ArrowArray*, ArrowSchema*──► checked against the parameter
//!            (borrowed, never released)    (format, length, offset,
//!                                           buffers, nulls vs option type)
//!                                                 │ values + bitmap read in place
//!                                                 ▼
//!        blaze::Arg::View ──► Kernel::call_into (values + bitmap buffers)
//!                         or Kernel::call_args ──► Value  │
//!                                                         │
//! C caller ◄── ArrowArray + ArrowSchema exported (consumer releases)
//! ```
//!
//! **Inputs are borrowed.** arrow-rs's importer (`arrow_array::ffi::from_ffi`)
//! takes ownership of the array and releases it when its buffers are
//! dropped, and its accessors assert (panic) on NULL `buffers` or `format`
//! pointers; a borrowed, possibly malformed struct is therefore read
//! field by field through [`RawArray`]/[`RawSchema`], the specification's
//! layout (checked equal in size and alignment to arrow-rs's
//! `FFI_ArrowArray`/`FFI_ArrowSchema` at compile time). The value buffer
//! becomes a [`DenseView`] of the caller's memory and the validity bitmap
//! an Arrow [`NullBuffer`] over the caller's bits (bit offset = the
//! array's `offset`), neither copied; booleans are unpacked from bits into
//! bytes, the one copy.
//!
//! **Results are exported** with arrow-rs's exporter
//! (`arrow_array::ffi::to_ffi`): the result's buffer is handed over without
//! a copy, with a validity bitmap when it has missing values, and the
//! consumer owns both structs (it calls their `release`). When the
//! result's length is known before the call (fixed by its type, or an
//! input's symbolic length), its value buffer and bitmap are allocated
//! first and the call runs into them: a final elementwise kernel writes
//! the values and the validity bits itself. Otherwise (and for bools,
//! which Arrow packs into bits) the result is a value whose missing mask
//! is packed into a bitmap.

use crate::error::{fail, guard, Failure};
use crate::tensor::Slot;
use crate::BlazeStatus::{self, *};
use crate::{handle, BlazeKernel, KernelObj};
use arrow_array::ffi::{to_ffi, FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::Array as _;
use arrow_schema::ffi::Flags;
use blaze::array::{ArrayMut, BooleanBuffer, Buffer, DenseArray, DenseView, NullBuffer};
use blaze::datashape::{Dim, Measure, Scalar};
use blaze::interp::Value;
use std::ffi::{c_char, c_void, CStr};
use std::ptr::NonNull;
use std::sync::Arc;

/// The C Data Interface's `struct ArrowArray`, field for field as the
/// specification lays it out: what a borrowed array is read through.
#[repr(C)]
struct RawArray {
    length: i64,
    null_count: i64,
    offset: i64,
    n_buffers: i64,
    n_children: i64,
    buffers: *const *const c_void,
    children: *const *const RawArray,
    dictionary: *const RawArray,
    release: Option<unsafe extern "C" fn(*mut RawArray)>,
    private_data: *mut c_void,
}

/// The C Data Interface's `struct ArrowSchema`, as [`RawArray`].
#[repr(C)]
struct RawSchema {
    format: *const c_char,
    name: *const c_char,
    metadata: *const c_char,
    flags: i64,
    n_children: i64,
    children: *const *const RawSchema,
    dictionary: *const RawSchema,
    release: Option<unsafe extern "C" fn(*mut RawSchema)>,
    private_data: *mut c_void,
}

const _: () = {
    use std::mem::{align_of, size_of};
    assert!(size_of::<RawArray>() == size_of::<FFI_ArrowArray>());
    assert!(align_of::<RawArray>() == align_of::<FFI_ArrowArray>());
    assert!(size_of::<RawSchema>() == size_of::<FFI_ArrowSchema>());
    assert!(align_of::<RawSchema>() == align_of::<FFI_ArrowSchema>());
};

/// The Arrow format string of a blaze element type (none for complex).
fn format_of(s: Scalar) -> Option<&'static str> {
    Some(match s {
        Scalar::Bool => "b",
        Scalar::Int8 => "c",
        Scalar::UInt8 => "C",
        Scalar::Int16 => "s",
        Scalar::UInt16 => "S",
        Scalar::Int32 => "i",
        Scalar::UInt32 => "I",
        Scalar::Int64 => "l",
        Scalar::UInt64 => "L",
        Scalar::Float16 => "e",
        Scalar::Float32 => "f",
        Scalar::Float64 => "g",
        Scalar::Complex64 | Scalar::Complex128 => return None,
    })
}

/// The blaze element type of an Arrow format string, if it is a primitive
/// type blaze has.
fn scalar_of_format(format: &str) -> Option<Scalar> {
    [
        Scalar::Bool,
        Scalar::Int8,
        Scalar::UInt8,
        Scalar::Int16,
        Scalar::UInt16,
        Scalar::Int32,
        Scalar::UInt32,
        Scalar::Int64,
        Scalar::UInt64,
        Scalar::Float16,
        Scalar::Float32,
        Scalar::Float64,
    ]
    .into_iter()
    .find(|&s| format_of(s) == Some(format))
}

/// A parameter or the result as the C Data Interface sees it: one element
/// type, possibly missing, and a rank of 0 or 1.
struct Column {
    scalar: Scalar,
    option: bool,
    /// 0 (a scalar: one element) or 1.
    rank: usize,
}

/// What of `slot`'s type an Arrow array can carry, or why it cannot.
fn column(slot: &Slot) -> Result<Column, Failure> {
    let ty = &slot.ty;
    let unsupported = |why: &str| {
        fail(
            BLAZE_ERR_UNSUPPORTED,
            format!(
                "{} has type `{ty}`, which {why}, so it cannot cross the Arrow C Data Interface",
                slot.what
            ),
        )
    };
    let (scalar, option) = match &ty.measure {
        Measure::Scalar { scalar } => (*scalar, false),
        Measure::Option { inner } => match inner.as_scalar() {
            Some(s) => (s, true),
            None => return Err(unsupported("is an option of a non-numeric type")),
        },
        Measure::Record { .. } => return Err(unsupported("is a record")),
        Measure::Tuple { .. } => return Err(unsupported("is a tuple")),
        _ => return Err(unsupported("has no fixed-size numeric element type")),
    };
    if format_of(scalar).is_none() {
        return Err(unsupported(
            "has complex elements (Arrow has no complex type)",
        ));
    }
    let rank = match ty.dims.as_slice() {
        [] => 0,
        [Dim::Fixed(_) | Dim::TypeVar(_) | Dim::Ellipsis(_)] => 1,
        [Dim::Var(_)] => return Err(unsupported("is ragged")),
        _ if ty.dims.iter().all(|d| matches!(d, Dim::Ellipsis(_))) => 1,
        _ => {
            return Err(unsupported(&format!(
                "has {} dimensions (an Arrow array has one)",
                ty.dims.len()
            )))
        }
    };
    Ok(Column {
        scalar,
        option,
        rank,
    })
}

/// Keeps nothing alive: the buffers made over a caller's array borrow it
/// for the duration of one call, and are dropped before the call returns.
struct Borrowed;

/// A `len`-byte buffer over the caller's memory at `p` (not copied).
///
/// # Safety
/// `p` points at `len` readable bytes that stay unchanged while the buffer
/// (and its clones) live.
unsafe fn borrowed(p: NonNull<u8>, len: usize) -> Buffer {
    Buffer::from_custom_allocation(p, len, Arc::new(Borrowed))
}

/// An input read from a caller's Arrow array.
enum Input<'a> {
    /// Numbers and their bitmap, read in place.
    View(DenseView<'a>),
    /// Booleans unpacked into bytes (the bitmap still the caller's).
    Bools(DenseArray),
}

impl Input<'_> {
    fn arg(&self) -> blaze::Arg<'_> {
        match self {
            Input::View(v) => blaze::Arg::View(v.clone()),
            Input::Bools(a) => blaze::Arg::View(a.view()),
        }
    }
}

/// Reads a C string field named `what` of `owner`.
///
/// # Safety
/// `p`, when non-null, points at a NUL-terminated string.
unsafe fn c_text<'s>(p: *const c_char, what: &str) -> Result<&'s str, Failure> {
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

/// A non-negative `int64_t` field of an array, as a `usize`.
fn count(n: i64, what: &str, field: &str) -> Result<usize, Failure> {
    usize::try_from(n).map_err(|_| {
        fail(
            BLAZE_ERR_SHAPE,
            format!("{what}: {field} is {n}; it must not be negative"),
        )
    })
}

/// Checks the schema given for `slot` and returns the element type it
/// names, which must be `want`.
///
/// # Safety
/// `schema`, when non-null and aligned, points at an `ArrowSchema` whose
/// `format`, when non-null, is a NUL-terminated string.
unsafe fn check_schema(
    schema: *const RawSchema,
    slot: &Slot,
    col: &Column,
    index: usize,
) -> Result<(), Failure> {
    let what = &slot.what;
    if schema.is_null() {
        return Err(fail(
            BLAZE_ERR_NULL_POINTER,
            format!("schemas[{index}] (for {what}) is NULL"),
        ));
    }
    if schema.addr() % std::mem::align_of::<RawSchema>() != 0 {
        return Err(fail(
            BLAZE_ERR_ALIGNMENT,
            format!("schemas[{index}] (for {what}) = {schema:p} is not aligned to 8 bytes"),
        ));
    }
    let s = &*schema;
    if s.release.is_none() {
        return Err(fail(
            BLAZE_ERR_INVALID_ARGUMENT,
            format!("schemas[{index}] (for {what}) is released (its release callback is NULL)"),
        ));
    }
    let format = c_text(s.format, &format!("{what}: the schema's format"))?;
    let want = format_of(col.scalar).unwrap_or("?");
    let given = match scalar_of_format(format) {
        Some(g) if g == col.scalar => {
            if !s.dictionary.is_null() {
                return Err(fail(
                    BLAZE_ERR_DTYPE,
                    format!("{what} is dictionary-encoded; blaze takes plain {} arrays (format \"{want}\")", col.scalar),
                ));
            }
            return Ok(());
        }
        Some(g) => format!("\"{format}\" ({g})"),
        None => format!("\"{format}\", which is not a primitive type blaze has"),
    };
    Err(fail(
        BLAZE_ERR_DTYPE,
        format!(
            "{what} has type `{}`, which takes Arrow format \"{want}\" ({}), but its schema gives format {given}",
            slot.ty, col.scalar
        ),
    ))
}

/// Checks the array given for `slot` (its schema checked already) and
/// returns what the kernel reads: a view of the caller's values and
/// bitmap.
///
/// # Safety
/// `array`, when non-null and aligned, points at an `ArrowArray` that
/// follows the C Data Interface (its `buffers` hold `n_buffers` pointers to
/// buffers as long as `offset + length` requires), and stays unchanged for
/// `'a`.
unsafe fn read_array<'a>(
    array: *const RawArray,
    slot: &Slot,
    col: &Column,
    index: usize,
) -> Result<Input<'a>, Failure> {
    let what = &slot.what;
    if array.is_null() {
        return Err(fail(
            BLAZE_ERR_NULL_POINTER,
            format!("arrays[{index}] (for {what}) is NULL"),
        ));
    }
    if array.addr() % std::mem::align_of::<RawArray>() != 0 {
        return Err(fail(
            BLAZE_ERR_ALIGNMENT,
            format!("arrays[{index}] (for {what}) = {array:p} is not aligned to 8 bytes"),
        ));
    }
    let a = &*array;
    if a.release.is_none() {
        return Err(fail(
            BLAZE_ERR_INVALID_ARGUMENT,
            format!("arrays[{index}] (for {what}) is released (its release callback is NULL)"),
        ));
    }
    let len = count(a.length, what, "length")?;
    let offset = count(a.offset, what, "offset")?;
    let end = offset.checked_add(len).ok_or_else(|| {
        fail(
            BLAZE_ERR_SHAPE,
            format!("{what}: offset {offset} + length {len} overflows"),
        )
    })?;
    if a.n_buffers != 2 {
        return Err(fail(
            BLAZE_ERR_INVALID_ARGUMENT,
            format!(
                "{what}: n_buffers is {}; a primitive Arrow array has 2 (validity, values)",
                a.n_buffers
            ),
        ));
    }
    if a.n_children != 0 || !a.dictionary.is_null() {
        return Err(fail(
            BLAZE_ERR_INVALID_ARGUMENT,
            format!(
                "{what}: the array has {} children{}, but its schema is a primitive type",
                a.n_children,
                if a.dictionary.is_null() {
                    ""
                } else {
                    " and a dictionary"
                }
            ),
        ));
    }
    if a.buffers.is_null() {
        return Err(fail(
            BLAZE_ERR_NULL_POINTER,
            format!("{what}: buffers is NULL, but n_buffers is 2"),
        ));
    }
    if a.buffers.addr() % std::mem::align_of::<*const c_void>() != 0 {
        return Err(fail(
            BLAZE_ERR_ALIGNMENT,
            format!(
                "{what}: buffers ({:p}) is not aligned for pointers",
                a.buffers
            ),
        ));
    }
    let bitmap = a.buffers.read().cast::<u8>();
    let values = a.buffers.add(1).read().cast::<u8>();
    if col.rank == 0 && len != 1 {
        return Err(fail(
            BLAZE_ERR_SHAPE,
            format!(
                "{what} has type `{}`, a single value: pass an Arrow array of length 1, not {len}",
                slot.ty
            ),
        ));
    }
    let shape: Vec<usize> = if col.rank == 0 { vec![] } else { vec![len] };
    let validity = match NonNull::new(bitmap.cast_mut()) {
        // A null count of 0 says there are none, whatever the bitmap holds.
        Some(_) if a.null_count == 0 => None,
        Some(p) if len > 0 => {
            let bits = BooleanBuffer::new(borrowed(p, end.div_ceil(8)), offset, len);
            Some(NullBuffer::new(bits)).filter(|n| n.null_count() > 0)
        }
        Some(_) => None,
        None if a.null_count > 0 => {
            return Err(fail(
                BLAZE_ERR_NULL_POINTER,
                format!(
                    "{what}: the validity bitmap (buffers[0]) is NULL, but null_count is {}",
                    a.null_count
                ),
            ))
        }
        None => None,
    };
    if let Some(n) = &validity {
        if !col.option {
            return Err(fail(
                BLAZE_ERR_DTYPE,
                format!(
                    "{what} has {} null{}, but its type `{}` is not an option (write `?{}` to take missing values)",
                    n.null_count(),
                    if n.null_count() == 1 { "" } else { "s" },
                    slot.ty,
                    col.scalar
                ),
            ));
        }
    }
    let values = match NonNull::new(values.cast_mut()) {
        Some(p) => p,
        None if len == 0 => NonNull::dangling(),
        None => {
            return Err(fail(
                BLAZE_ERR_NULL_POINTER,
                format!("{what}: the values (buffers[1]) are NULL, but the length is {len}"),
            ))
        }
    };
    if col.scalar == Scalar::Bool {
        let bytes: Vec<bool> = if len == 0 {
            vec![]
        } else {
            BooleanBuffer::new(borrowed(values, end.div_ceil(8)), offset, len)
                .iter()
                .collect()
        };
        let array = DenseArray::from_vec(bytes, &shape)
            .and_then(|d| d.with_validity(validity))
            .map_err(|e| fail(BLAZE_ERR_PANIC, format!("internal error: {what}: {e}")))?;
        return Ok(Input::Bools(array));
    }
    let size = col.scalar.size_bytes();
    let first = values.as_ptr().wrapping_add(offset.wrapping_mul(size));
    if len > 0 {
        if end
            .checked_mul(size)
            .is_none_or(|b| b > isize::MAX as usize)
        {
            return Err(fail(
                BLAZE_ERR_SHAPE,
                format!("{what}: offset {offset} + length {len} is more than memory can hold"),
            ));
        }
        if first.addr() % size != 0 {
            return Err(fail(
                BLAZE_ERR_ALIGNMENT,
                format!(
                    "{what}: its values ({:p}, offset {offset}) are not aligned to {size} bytes for {}",
                    values.as_ptr(),
                    col.scalar
                ),
            ));
        }
    }
    let strides = if col.rank == 0 {
        vec![]
    } else {
        vec![size as isize]
    };
    Ok(Input::View(DenseView::from_raw_parts(
        first.cast_const(),
        col.scalar,
        shape,
        strides,
        validity,
    )))
}

fn internal(e: impl std::fmt::Display) -> Failure {
    fail(BLAZE_ERR_PANIC, format!("internal error: {e}"))
}

/// The result as an Arrow array and its schema: its buffer handed over
/// (no copy), a validity bitmap when some element is missing.
fn export(
    value: Value,
    slot: &Slot,
    col: &Column,
) -> Result<(FFI_ArrowArray, FFI_ArrowSchema), Failure> {
    let (data, missing) = match value {
        Value::Array { data, missing } => (data, missing),
        _ => {
            return Err(fail(
                BLAZE_ERR_UNSUPPORTED,
                format!(
                    "{} is not an array, which an Arrow array cannot carry",
                    slot.what
                ),
            ))
        }
    };
    if data.ndim() > 1 {
        return Err(fail(
            BLAZE_ERR_UNSUPPORTED,
            format!(
                "{} has shape {:?} (type `{}`); an Arrow array has one dimension",
                slot.what,
                data.shape(),
                slot.ty
            ),
        ));
    }
    let n = data.len();
    let array = blaze::interp::with_array!(data, a => {
        a.into_shape_with_order(ndarray::IxDyn(&[n]))
            .map_err(internal)
            .and_then(|a| blaze::runtime::value::from_owned(a).map_err(internal))
    })?;
    let array = if array.is_c_contiguous() {
        array
    } else {
        array.to_contiguous().map_err(internal)?
    };
    let validity = missing
        .filter(|m| m.iter().any(|&x| x))
        .map(|m| NullBuffer::from(m.iter().map(|&x| !x).collect::<Vec<bool>>()));
    let array = array.with_validity(validity).map_err(internal)?;
    export_array(array, slot, col)
}

/// The length of the result when it is known before the call, so that it
/// can be written in place: a 1-D result of numbers (not bools, which
/// Arrow packs into bits) whose length is fixed by its type or is that of
/// an input sharing its symbolic length (`N * ?float64` from `a: N * …`).
fn result_len(k: &KernelObj, inputs: &[Input<'_>], col: &Column) -> Option<usize> {
    if col.rank != 1 || col.scalar == Scalar::Bool {
        return None;
    }
    match k.kernel.result_type().dims.as_slice() {
        [Dim::Fixed(n)] => usize::try_from(*n).ok(),
        [Dim::TypeVar(name)] => {
            let params = &k.kernel.function().params;
            params.iter().zip(inputs).find_map(|((_, ty), input)| {
                let same = matches!(ty.dims.as_slice(), [Dim::TypeVar(m)] if m == name);
                match input {
                    Input::View(v) if same => v.shape().first().copied(),
                    Input::Bools(a) if same => a.shape().first().copied(),
                    _ => None,
                }
            })
        }
        _ => None,
    }
}

/// A result array (1-D, C order, its bitmap if any) as an Arrow array and
/// its schema.
fn export_array(
    array: DenseArray,
    slot: &Slot,
    col: &Column,
) -> Result<(FFI_ArrowArray, FFI_ArrowSchema), Failure> {
    let arrow = array.to_arrow().map_err(|e| {
        fail(
            BLAZE_ERR_UNSUPPORTED,
            format!("{} (type `{}`): {e}", slot.what, slot.ty),
        )
    })?;
    let (out_array, out_schema) = to_ffi(&arrow.to_data()).map_err(internal)?;
    let out_schema = if col.option {
        out_schema.with_flags(Flags::NULLABLE).map_err(internal)?
    } else {
        out_schema
    };
    Ok((out_array, out_schema))
}

/// Calls the kernel on Arrow arrays (the C Data Interface): `arrays[i]`
/// and `schemas[i]` describe the input for parameter `i`, a primitive
/// array (format `b`, `c`, `C`, `s`, `S`, `i`, `I`, `l`, `L`, `e`, `f` or
/// `g`, the parameter's element type), any `offset`. A parameter of type
/// `N * ?float64` takes an array with nulls; one without `?` refuses an
/// array with nulls (`BLAZE_ERR_DTYPE`). A scalar parameter (`float64`,
/// `?float64`) takes an array of length 1.
///
/// Inputs are **borrowed** for the call, never released; the caller keeps
/// ownership. Their values and validity bitmaps reach the kernel as views
/// of the caller's memory, not copies (booleans are unpacked from bits).
///
/// The result (1-D, or a scalar as an array of length 1) is **exported**
/// into `*out_array` and `*out_schema`, which the caller allocates and
/// blaze fills: the caller then owns them and calls each one's `release`
/// when done. The result has a validity bitmap when some of its values are
/// missing. On failure both are left released (`release == NULL`), so
/// there is nothing to free. A kernel whose result is a tuple, a record,
/// complex or of rank 2 or more is `BLAZE_ERR_UNSUPPORTED`.
///
/// Errors: NULL pointers (`BLAZE_ERR_NULL_POINTER`), a released input
/// (`release == NULL`, `BLAZE_ERR_INVALID_ARGUMENT`), a format that is not
/// the parameter's type (`BLAZE_ERR_DTYPE`, naming the parameter, the
/// expected and the given format), lengths that disagree with each other
/// or the signature (`BLAZE_ERR_SHAPE`), misaligned values
/// (`BLAZE_ERR_ALIGNMENT`).
///
/// C contract: `arrays` and `schemas` point at `n_inputs` pointers each;
/// each input follows the C Data Interface (its buffers as long as its
/// `offset` and `length` require) and is not modified during the call;
/// `out_array` and `out_schema` are writable and are not inputs (they are
/// cleared first, without calling a `release` they may hold).
#[no_mangle]
pub extern "C" fn blaze_kernel_call_arrow(
    kernel: *const BlazeKernel,
    arrays: *const *const FFI_ArrowArray,
    schemas: *const *const FFI_ArrowSchema,
    n_inputs: usize,
    out_array: *mut FFI_ArrowArray,
    out_schema: *mut FFI_ArrowSchema,
) -> BlazeStatus {
    guard("blaze_kernel_call_arrow", || unsafe {
        if out_array.is_null() {
            return Err(fail(BLAZE_ERR_NULL_POINTER, "out_array is NULL"));
        }
        if out_schema.is_null() {
            return Err(fail(BLAZE_ERR_NULL_POINTER, "out_schema is NULL"));
        }
        // Released until filled: a failure leaves nothing to free.
        out_array.write(FFI_ArrowArray::empty());
        out_schema.write(FFI_ArrowSchema::empty());
        let k = handle::kernel(kernel)?;
        call(&k, arrays, schemas, n_inputs, out_array, out_schema)
    })
}

/// The body of [`blaze_kernel_call_arrow`] once the kernel is found.
///
/// # Safety
/// The C contract of [`blaze_kernel_call_arrow`]; the out-pointers are
/// non-null and writable (and cleared already).
unsafe fn call(
    k: &KernelObj,
    arrays: *const *const FFI_ArrowArray,
    schemas: *const *const FFI_ArrowSchema,
    n: usize,
    out_array: *mut FFI_ArrowArray,
    out_schema: *mut FFI_ArrowSchema,
) -> Result<(), Failure> {
    let np = k.inputs.len();
    if n != np {
        return Err(fail(
            BLAZE_ERR_INVALID_ARGUMENT,
            format!(
                "`{}` takes {np} input{}, got n_inputs = {n}",
                k.name.to_string_lossy(),
                if np == 1 { "" } else { "s" }
            ),
        ));
    }
    if np > 0 && arrays.is_null() {
        return Err(fail(BLAZE_ERR_NULL_POINTER, "the arrays array is NULL"));
    }
    if np > 0 && schemas.is_null() {
        return Err(fail(BLAZE_ERR_NULL_POINTER, "the schemas array is NULL"));
    }
    for i in 0..np {
        if (*arrays.add(i)).cast_mut() == out_array || (*schemas.add(i)).cast_mut() == out_schema {
            return Err(fail(
                BLAZE_ERR_INVALID_ARGUMENT,
                format!("input {i} is also out_array or out_schema, which are cleared first; the outputs must be other structs"),
            ));
        }
    }
    if k.tuple || k.outputs.len() != 1 {
        return Err(fail(
            BLAZE_ERR_UNSUPPORTED,
            format!(
                "`{}` returns a tuple (`{}`); an Arrow call returns one array (use blaze_kernel_call)",
                k.name.to_string_lossy(),
                k.result.to_string_lossy()
            ),
        ));
    }
    let out_slot = &k.outputs[0];
    let out_col = column(out_slot)?;
    let mut inputs = Vec::with_capacity(np);
    for (i, slot) in k.inputs.iter().enumerate() {
        let col = column(slot)?;
        check_schema((*schemas.add(i)).cast::<RawSchema>(), slot, &col, i)?;
        inputs.push(read_array(
            (*arrays.add(i)).cast::<RawArray>(),
            slot,
            &col,
            i,
        )?);
    }
    let args: Vec<blaze::Arg<'_>> = inputs.iter().map(Input::arg).collect();
    let (a, s) = match result_len(k, &inputs, &out_col) {
        Some(n) => {
            // Values and bitmap allocated once, written by the kernel.
            let mut out = ArrayMut::allocate(out_col.scalar, &[n]).map_err(internal)?;
            if out_col.option {
                out = out.with_validity();
            }
            k.kernel
                .call_into(&args, out.view_mut())
                .map_err(crate::call_failure)?;
            let array = out.freeze();
            let nulls = array.validity().is_some_and(|v| v.null_count() > 0);
            let array = if nulls {
                array
            } else {
                array.with_validity(None).map_err(internal)?
            };
            export_array(array, out_slot, &out_col)?
        }
        None => {
            let value = k.kernel.call_args(&args).map_err(crate::call_failure)?;
            export(value, out_slot, &out_col)?
        }
    };
    drop(args);
    drop(inputs);
    out_array.write(a);
    out_schema.write(s);
    Ok(())
}
