//! `blaze_kernel_call_arrow` through the exported C functions, on arrays
//! made by arrow-rs and handed over through its C Data Interface exporter
//! (as pyarrow or polars would): nullable inputs at offsets that are not
//! multiples of 8, `fillna`, the narrowing `where`, reductions over options
//! (pandas' semantics), results with validity bitmaps checked bit by bit,
//! the input's values read in place (no allocation the size of the input),
//! a nullable result's values and bitmap written by the kernel into the
//! buffers exported (no byte mask packed afterwards), and every bad call
//! an error with a message.

use arrow_array::ffi::{from_ffi, to_ffi, FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::types::Float64Type;
use arrow_array::{
    make_array, Array, ArrayRef, BooleanArray, Float16Array, Float32Array, Float64Array,
    Int32Array, Int64Array, PrimitiveArray, UInt8Array,
};
use arrow_data::ArrayData;
use blaze_capi::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::{c_char, c_void, CStr, CString};
use std::ptr::{null, null_mut};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

// ---------------------------------------------------------------------------
// Allocations as large as an input are counted: reading in place makes none.

/// Allocations of at least this many bytes are counted.
const BIG: usize = 4 << 20;
static BIG_ALLOCS: AtomicUsize = AtomicUsize::new(0);

struct Counting;

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= BIG {
            BIG_ALLOCS.fetch_add(1, Ordering::SeqCst);
        }
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= BIG {
            BIG_ALLOCS.fetch_add(1, Ordering::SeqCst);
        }
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size >= BIG {
            BIG_ALLOCS.fetch_add(1, Ordering::SeqCst);
        }
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Taken by every test, so that no other test allocates while one counts.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

// ---------------------------------------------------------------------------
// Helpers

const MODULE: &str = "\
def fill(a: N * ?float64) = fillna(a, 0.0)
def zero(a: N * ?float64) = where(isna(a), 0, a)
def total(a: N * ?float64) = sum(a)
def average(a: N * ?float64) = mean(a)
def add(a: N * ?float64, b: N * ?float64) = a + b
def plain(a: N * float64) = a * 2.0
def plain_sum(a: N * float64) = sum(a)
def fill_with(a: N * ?float64, v: float64) = fillna(a, v)
def ints(v: N * ?int32) = v * 2
def flip(b: N * ?bool) = not b
def halves(h: N * float16, f: N * float32, u: N * uint8) = h + f + u
def fixed(a: 3 * float64) = a + 1.0
def pair(a: N * float64) = (sum(a), max(a))
def matrix(M: N * 2 * float64) = sum(M, axis=1)
def complex(a: N * float64) = a * 1j
def grid(M: N * 2 * float64) = M * 2.0
def affine(a: N * ?float64) = a * 2.0 + 1.0
";

/// A kernel of [`MODULE`], compiled once (the JIT engine).
fn kernel(name: &str) -> *mut BlazeKernel {
    struct Handles(*mut BlazeModule);
    // SAFETY: handles may be used from any thread (the C ABI's contract).
    unsafe impl Send for Handles {}
    unsafe impl Sync for Handles {}
    static MODULE_HANDLE: OnceLock<Handles> = OnceLock::new();
    let m = MODULE_HANDLE.get_or_init(|| {
        let mut ctx = null_mut();
        assert_eq!(blaze_context_create(&mut ctx), BlazeStatus::BLAZE_OK);
        let src = CString::new(MODULE).unwrap();
        let mut m = null_mut();
        let s = blaze_compile(ctx, src.as_ptr(), &mut m);
        assert_eq!(s, BlazeStatus::BLAZE_OK, "{}", last_message());
        assert_eq!(blaze_context_free(ctx), BlazeStatus::BLAZE_OK);
        Handles(m)
    });
    let name = CString::new(name).unwrap();
    let mut k = null_mut();
    let s = blaze_module_kernel(m.0, name.as_ptr(), &mut k);
    assert_eq!(s, BlazeStatus::BLAZE_OK, "{}", last_message());
    k
}

fn last_message() -> String {
    // SAFETY: a NUL-terminated string owned by blaze.
    unsafe { CStr::from_ptr(blaze_last_error_message()) }
        .to_string_lossy()
        .into_owned()
}

/// An arrow-rs array exported through the C Data Interface, as a producer
/// hands it over.
struct Exported {
    array: FFI_ArrowArray,
    schema: FFI_ArrowSchema,
}

fn export(a: &dyn Array) -> Exported {
    export_data(&a.to_data())
}

fn export_data(d: &ArrayData) -> Exported {
    let (array, schema) = to_ffi(d).unwrap();
    Exported { array, schema }
}

/// `all[offset..offset + len]` as arrow-rs's `ArrayData` keeps it: the
/// same buffers with an offset (which the export passes on; slicing an
/// array instead moves its buffers' start).
fn sliced(all: &dyn Array, offset: usize, len: usize) -> (ArrayRef, Exported) {
    let d = all.to_data().slice(offset, len);
    let e = export_data(&d);
    // SAFETY: the struct was just made by arrow-rs.
    assert_eq!(e.array.offset(), offset);
    (make_array(d), e)
}

/// Calls `kernel` on `inputs`; the result imported back into arrow-rs, or
/// the failure's status and message. Checks that the inputs were not
/// released and, on failure, that the outputs hold nothing.
fn call_raw(
    k: *const BlazeKernel,
    arrays: &[*const FFI_ArrowArray],
    schemas: &[*const FFI_ArrowSchema],
) -> Result<(ArrayRef, FFI_ArrowSchema), (BlazeStatus, String)> {
    let mut out_array = FFI_ArrowArray::empty();
    let mut out_schema = FFI_ArrowSchema::empty();
    let s = blaze_kernel_call_arrow(
        k,
        arrays.as_ptr(),
        schemas.as_ptr(),
        arrays.len(),
        &mut out_array,
        &mut out_schema,
    );
    if s != BlazeStatus::BLAZE_OK {
        assert!(out_array.is_released() && out_schema.release().is_none());
        return Err((s, last_message()));
    }
    assert!(!out_array.is_released() && out_schema.release().is_some());
    // SAFETY: blaze exported a valid array and schema; from_ffi takes the
    // array (and releases it when dropped).
    let data = unsafe { from_ffi(out_array, &out_schema) }.unwrap();
    data.validate_full().unwrap();
    Ok((make_array(data), out_schema))
}

fn call(k: *const BlazeKernel, inputs: &[&Exported]) -> Result<ArrayRef, (BlazeStatus, String)> {
    let arrays: Vec<_> = inputs.iter().map(|e| &e.array as *const _).collect();
    let schemas: Vec<_> = inputs.iter().map(|e| &e.schema as *const _).collect();
    let r = call_raw(k, &arrays, &schemas);
    for e in inputs {
        assert!(!e.array.is_released(), "blaze released a borrowed input");
        assert!(
            e.schema.release().is_some(),
            "blaze released a borrowed schema"
        );
    }
    r.map(|(a, _)| a)
}

fn f64s(a: &ArrayRef) -> Vec<Option<f64>> {
    a.as_any()
        .downcast_ref::<Float64Array>()
        .unwrap_or_else(|| panic!("not float64: {:?}", a.data_type()))
        .iter()
        .collect()
}

fn expect_err(r: Result<ArrayRef, (BlazeStatus, String)>, status: BlazeStatus, parts: &[&str]) {
    let (s, m) = r.expect_err("the call should fail");
    assert_eq!(s, status, "{m}");
    for p in parts {
        assert!(m.contains(p), "`{p}` is not in: {m}");
    }
}

/// 20 values, every third missing, at offset 5 (not a multiple of 8),
/// length 13: the values and their export.
fn nullable() -> (Float64Array, Exported) {
    let all: Float64Array = (0..20)
        .map(|i| (i % 3 != 0).then_some(i as f64 * 0.5))
        .collect();
    let (a, e) = sliced(&all, 5, 13);
    (
        a.as_any().downcast_ref::<Float64Array>().unwrap().clone(),
        e,
    )
}

// ---------------------------------------------------------------------------
// Results

#[test]
fn fillna_and_where_fill_the_missing_values_at_an_offset() {
    let _serial = serial();
    let (a, input) = nullable();
    let want: Vec<Option<f64>> = a.iter().map(|x| Some(x.unwrap_or(0.0))).collect();
    for name in ["fill", "zero"] {
        let r = call(kernel(name), &[&input]).unwrap();
        assert_eq!(f64s(&r), want, "{name}");
        assert_eq!(r.null_count(), 0, "{name}");
        assert!(r.nulls().is_none(), "{name}: a plain result has no bitmap");
    }
}

#[test]
fn reductions_over_options_follow_pandas() {
    let _serial = serial();
    let (a, input) = nullable();
    let present: Vec<f64> = a.iter().flatten().collect();
    let r = call(kernel("total"), &[&input]).unwrap();
    assert_eq!(f64s(&r), vec![Some(present.iter().sum())]);
    let r = call(kernel("average"), &[&input]).unwrap();
    let mean = present.iter().sum::<f64>() / present.len() as f64;
    assert_eq!(f64s(&r), vec![Some(mean)]);
    // All missing: the sum is 0, the mean is missing (a length-1 array
    // with a null).
    let none = Float64Array::from(vec![None, None, None]);
    let r = call(kernel("total"), &[&export(&none)]).unwrap();
    assert_eq!(f64s(&r), vec![Some(0.0)]);
    let r = call(kernel("average"), &[&export(&none)]).unwrap();
    assert_eq!(f64s(&r), vec![None]);
    assert_eq!(r.null_count(), 1);
}

#[test]
fn a_nullable_result_carries_its_validity_bit_by_bit() {
    let _serial = serial();
    let (a, ea) = nullable();
    let b_all: Float64Array = (0..40)
        .map(|i| (i % 4 != 1).then_some(100.0 + i as f64))
        .collect();
    let (b, eb) = sliced(&b_all, 11, 13);
    let b = b.as_any().downcast_ref::<Float64Array>().unwrap();
    let arrays = [&ea.array as *const _, &eb.array as *const _];
    let schemas = [&ea.schema as *const _, &eb.schema as *const _];
    let (r, schema) = call_raw(kernel("add"), &arrays, &schemas).unwrap();
    assert_eq!(schema.format(), "g");
    assert!(schema.nullable(), "an option result is flagged nullable");
    let got = r.as_any().downcast_ref::<Float64Array>().unwrap();
    let nulls = got.nulls().expect("a validity bitmap");
    let bits = nulls.inner();
    for i in 0..13 {
        let valid = a.is_valid(i) && b.is_valid(i);
        // The bit itself, in the exported bitmap, at the array's offset.
        let byte = bits.values()[(bits.offset() + i) / 8];
        assert_eq!(byte >> ((bits.offset() + i) % 8) & 1 == 1, valid, "bit {i}");
        assert_eq!(got.is_valid(i), valid, "element {i}");
        if valid {
            assert_eq!(got.value(i), a.value(i) + b.value(i), "element {i}");
        }
    }
    assert_eq!(
        got.null_count(),
        (0..13).filter(|&i| a.is_null(i) || b.is_null(i)).count()
    );
}

#[test]
fn other_primitive_types_cross_with_their_nulls() {
    let _serial = serial();
    // int32 with nulls at offset 3.
    let v_all = Int32Array::from(vec![
        Some(1),
        None,
        Some(3),
        Some(4),
        None,
        Some(-6),
        Some(7),
    ]);
    let (_, v) = sliced(&v_all, 3, 4);
    let r = call(kernel("ints"), &[&v]).unwrap();
    let r = r.as_any().downcast_ref::<Int32Array>().unwrap();
    assert_eq!(
        r.iter().collect::<Vec<_>>(),
        vec![Some(8), None, Some(-12), Some(14)]
    );
    // bool with nulls at offset 3: bits in, bits out.
    let b_all = BooleanArray::from(vec![
        Some(true),
        None,
        Some(false),
        Some(true),
        None,
        Some(false),
        Some(false),
        Some(true),
        Some(true),
        None,
        Some(true),
    ]);
    let (_, b) = sliced(&b_all, 3, 8);
    let r = call(kernel("flip"), &[&b]).unwrap();
    let r = r.as_any().downcast_ref::<BooleanArray>().unwrap();
    let want: Vec<Option<bool>> = b_all.iter().skip(3).map(|x| x.map(|x| !x)).collect();
    assert_eq!(r.iter().collect::<Vec<_>>(), want);
    // float16, float32 and uint8 without bitmaps.
    let h = Float16Array::from(vec![half::f16::from_f32(0.5), half::f16::from_f32(1.5)]);
    let f = Float32Array::from(vec![2.0, 3.0]);
    let u = UInt8Array::from(vec![10, 20]);
    let r = call(kernel("halves"), &[&export(&h), &export(&f), &export(&u)]).unwrap();
    let r = r.as_any().downcast_ref::<Float32Array>().unwrap();
    assert_eq!(r.values().to_vec(), vec![12.5, 24.5]);
}

#[test]
fn scalars_are_arrays_of_length_one() {
    let _serial = serial();
    let (a, ea) = nullable();
    let v = Float64Array::from(vec![-1.0]);
    let r = call(kernel("fill_with"), &[&ea, &export(&v)]).unwrap();
    let want: Vec<Option<f64>> = a.iter().map(|x| Some(x.unwrap_or(-1.0))).collect();
    assert_eq!(f64s(&r), want);
    let three = Float64Array::from(vec![1.0, 2.0, 3.0]);
    expect_err(
        call(kernel("fill_with"), &[&ea, &export(&three)]),
        BlazeStatus::BLAZE_ERR_SHAPE,
        &["input `v`", "length 1, not 3"],
    );
}

#[test]
fn the_interpreter_engine_takes_arrow_arrays_too() {
    let _serial = serial();
    let mut ctx = null_mut();
    assert_eq!(blaze_context_create(&mut ctx), BlazeStatus::BLAZE_OK);
    let engine = BlazeEngine::BLAZE_ENGINE_INTERP as i32;
    assert_eq!(blaze_context_set_engine(ctx, engine), BlazeStatus::BLAZE_OK);
    let (names, types) = (
        [c"a".as_ptr(), c"b".as_ptr()],
        [c"N * ?float64".as_ptr(), c"N * ?float64".as_ptr()],
    );
    let mut k = null_mut();
    let s = blaze_compile_expr(
        ctx,
        c"a * b".as_ptr(),
        names.as_ptr(),
        types.as_ptr(),
        2,
        &mut k,
    );
    assert_eq!(s, BlazeStatus::BLAZE_OK, "{}", last_message());
    let (a, ea) = nullable();
    let b = Float64Array::from(
        (0..13)
            .map(|i| (i % 2 == 0).then_some(2.0))
            .collect::<Vec<_>>(),
    );
    let r = call(k, &[&ea, &export(&b)]).unwrap();
    let want: Vec<Option<f64>> = a.iter().zip(b.iter()).map(|(x, y)| Some(x? * y?)).collect();
    assert_eq!(f64s(&r), want);
    assert_eq!(blaze_kernel_free(k), BlazeStatus::BLAZE_OK);
    assert_eq!(blaze_context_free(ctx), BlazeStatus::BLAZE_OK);
}

#[test]
fn empty_arrays_cross() {
    let _serial = serial();
    let e = Float64Array::from(Vec::<f64>::new());
    let r = call(kernel("plain"), &[&export(&e)]).unwrap();
    assert_eq!(r.len(), 0);
    let r = call(kernel("total"), &[&export(&e)]).unwrap();
    assert_eq!(f64s(&r), vec![Some(0.0)]);
}

#[test]
fn inputs_are_read_in_place() {
    let _serial = serial();
    let n = 1 << 20; // 8 MiB of float64, twice BIG
    let a: PrimitiveArray<Float64Type> = (0..n).map(|i| (i % 1000) as f64).collect();
    let want: f64 = a.values().iter().sum();
    let input = export(&a);
    // Compile the kernels for this rank first.
    let small = export(&Float64Array::from(vec![1.0, 2.0]));
    call(kernel("plain_sum"), &[&small]).unwrap();
    call(kernel("plain"), &[&small]).unwrap();

    // Element-wise: the result is the one allocation (exported as is).
    let before = BIG_ALLOCS.load(Ordering::SeqCst);
    let r = call(kernel("plain"), &[&input]).unwrap();
    let after = BIG_ALLOCS.load(Ordering::SeqCst);
    assert_eq!(after - before, 1, "the input or the result was copied");
    let r = r.as_any().downcast_ref::<Float64Array>().unwrap();
    assert_eq!(r.len(), n);
    assert_eq!(r.value(n - 1), 2.0 * a.value(n - 1));

    let before = BIG_ALLOCS.load(Ordering::SeqCst);
    let r = call(kernel("plain_sum"), &[&input]).unwrap();
    let after = BIG_ALLOCS.load(Ordering::SeqCst);
    assert_eq!(f64s(&r), vec![Some(want)]);
    assert_eq!(
        after - before,
        0,
        "a sum allocated as much as its input: it copied it"
    );
}

#[test]
fn a_nullable_result_is_written_by_the_kernel_into_the_exported_buffers() {
    let _serial = serial();
    let n = (1 << 22) + 5; // 32 MiB of float64; a byte mask would be 4 MiB
    let all: Float64Array = (0..n + 3)
        .map(|i| (i % 10 != 7).then_some(i as f64))
        .collect();
    let (a, input) = sliced(&all, 3, n); // at bit offset 3 of its bitmap
    let a = a.as_any().downcast_ref::<Float64Array>().unwrap();
    let small = export(&Float64Array::from(vec![Some(1.0), None]));
    call(kernel("affine"), &[&small]).unwrap();
    // The values are the one large allocation (the bitmap is an eighth of
    // the length): no byte mask was made and packed.
    let before = BIG_ALLOCS.load(Ordering::SeqCst);
    let r = call(kernel("affine"), &[&input]).unwrap();
    let after = BIG_ALLOCS.load(Ordering::SeqCst);
    assert_eq!(after - before, 1, "the result went through a byte mask");
    let got = r.as_any().downcast_ref::<Float64Array>().unwrap();
    assert_eq!(got.len(), n);
    assert_eq!(got.null_count(), a.null_count());
    let bits = got.nulls().expect("a validity bitmap").inner();
    for i in 0..n {
        assert_eq!(bits.value(i), a.is_valid(i), "bit {i}");
        if a.is_valid(i) {
            assert_eq!(got.value(i), a.value(i) * 2.0 + 1.0, "element {i}");
        }
    }
}

// ---------------------------------------------------------------------------
// Bad calls

#[test]
fn wrong_types_are_dtype_errors_naming_the_parameter() {
    let _serial = serial();
    let ints = Int64Array::from(vec![1, 2, 3]);
    expect_err(
        call(kernel("fill"), &[&export(&ints)]),
        BlazeStatus::BLAZE_ERR_DTYPE,
        &["input `a`", "\"g\" (float64)", "\"l\" (int64)"],
    );
    let strings = arrow_array::StringArray::from(vec!["x"]);
    expect_err(
        call(kernel("fill"), &[&export(&strings)]),
        BlazeStatus::BLAZE_ERR_DTYPE,
        &["input `a`", "\"u\"", "not a primitive type"],
    );
    // Nulls for a parameter that is not an option.
    expect_err(
        call(kernel("plain"), &[&nullable().1]),
        BlazeStatus::BLAZE_ERR_DTYPE,
        &["input `a`", "4 nulls", "not an option"],
    );
    // A bitmap without nulls is fine.
    let no_nulls = Float64Array::from(vec![Some(1.0), Some(2.0)]);
    let (two, e) = sliced(&nullable().0, 2, 2); // 3.5 and 4.0: both present
    assert!(two.nulls().is_some() && two.null_count() == 0);
    assert_eq!(
        f64s(&call(kernel("plain"), &[&e]).unwrap()),
        vec![Some(7.0), Some(8.0)]
    );
    assert!(call(kernel("plain"), &[&export(&no_nulls)]).is_ok());
}

#[test]
fn lengths_that_disagree_are_shape_errors() {
    let _serial = serial();
    let a = Float64Array::from(vec![1.0, 2.0, 3.0]);
    let b = Float64Array::from(vec![1.0, 2.0]);
    expect_err(
        call(kernel("add"), &[&export(&a), &export(&b)]),
        BlazeStatus::BLAZE_ERR_SHAPE,
        &["input `b`", "length 2", "`N`"],
    );
    expect_err(
        call(kernel("fixed"), &[&export(&b)]),
        BlazeStatus::BLAZE_ERR_SHAPE,
        &["input `a`", "length 2", "says 3"],
    );
}

#[test]
fn kernels_that_arrow_cannot_carry_are_unsupported() {
    let _serial = serial();
    let a = Float64Array::from(vec![1.0, 2.0]);
    expect_err(
        call(kernel("pair"), &[&export(&a)]),
        BlazeStatus::BLAZE_ERR_UNSUPPORTED,
        &["tuple"],
    );
    expect_err(
        call(kernel("matrix"), &[&export(&a)]),
        BlazeStatus::BLAZE_ERR_UNSUPPORTED,
        &["input `M`", "2 dimensions"],
    );
    expect_err(
        call(kernel("grid"), &[&export(&a)]),
        BlazeStatus::BLAZE_ERR_UNSUPPORTED,
        &["output 0", "`N * 2 * float64`", "2 dimensions"],
    );
    expect_err(
        call(kernel("complex"), &[&export(&a)]),
        BlazeStatus::BLAZE_ERR_UNSUPPORTED,
        &["output 0", "complex"],
    );
}

#[test]
fn null_and_released_pointers_are_errors() {
    let _serial = serial();
    let k = kernel("fill");
    let (_, e) = nullable();
    let (a, s) = (&e.array as *const _, &e.schema as *const _);
    let mut oa = FFI_ArrowArray::empty();
    let mut os = FFI_ArrowSchema::empty();
    use BlazeStatus::*;
    let check = |got: BlazeStatus, want: BlazeStatus, text: &str| {
        let m = last_message();
        assert_eq!(got, want, "{m}");
        assert!(m.contains(text), "`{text}` not in {m}");
    };
    let (pa, ps): (*mut FFI_ArrowArray, *mut FFI_ArrowSchema) = (&mut oa, &mut os);
    let got = blaze_kernel_call_arrow(null(), &a, &s, 1, pa, ps);
    check(got, BLAZE_ERR_NULL_POINTER, "the kernel handle is NULL");
    let got = blaze_kernel_call_arrow(k, null(), &s, 1, pa, ps);
    check(got, BLAZE_ERR_NULL_POINTER, "the arrays array is NULL");
    let got = blaze_kernel_call_arrow(k, &a, null(), 1, pa, ps);
    check(got, BLAZE_ERR_NULL_POINTER, "the schemas array is NULL");
    let got = blaze_kernel_call_arrow(k, &null(), &s, 1, pa, ps);
    check(
        got,
        BLAZE_ERR_NULL_POINTER,
        "arrays[0] (for input `a`) is NULL",
    );
    let got = blaze_kernel_call_arrow(k, &a, &null(), 1, pa, ps);
    check(
        got,
        BLAZE_ERR_NULL_POINTER,
        "schemas[0] (for input `a`) is NULL",
    );
    let got = blaze_kernel_call_arrow(k, &a, &s, 1, null_mut(), ps);
    check(got, BLAZE_ERR_NULL_POINTER, "out_array is NULL");
    let got = blaze_kernel_call_arrow(k, &a, &s, 1, pa, null_mut());
    check(got, BLAZE_ERR_NULL_POINTER, "out_schema is NULL");
    let got = blaze_kernel_call_arrow(k, &a, &s, 2, pa, ps);
    check(
        got,
        BLAZE_ERR_INVALID_ARGUMENT,
        "takes 1 input, got n_inputs = 2",
    );
    // A freed kernel.
    let freed = kernel("fill");
    assert_eq!(blaze_kernel_free(freed), BLAZE_OK);
    let got = blaze_kernel_call_arrow(freed, &a, &s, 1, pa, ps);
    check(got, BLAZE_ERR_INVALID_HANDLE, "kernel");
    let released_array = FFI_ArrowArray::empty();
    let released_schema = FFI_ArrowSchema::empty();
    let got = blaze_kernel_call_arrow(k, &(&released_array as *const _), &s, 1, pa, ps);
    check(
        got,
        BLAZE_ERR_INVALID_ARGUMENT,
        "arrays[0] (for input `a`) is released",
    );
    let got = blaze_kernel_call_arrow(k, &a, &(&released_schema as *const _), 1, pa, ps);
    check(
        got,
        BLAZE_ERR_INVALID_ARGUMENT,
        "schemas[0] (for input `a`) is released",
    );
    // An output that is an input: refused, after the output was cleared
    // (the documented contract); the struct is put back to be released.
    let mut victim = nullable().1;
    // SAFETY: a bitwise copy, written back below before either is dropped.
    let saved = std::mem::ManuallyDrop::new(unsafe { std::ptr::read(&victim.array) });
    let v: *mut FFI_ArrowArray = &mut victim.array;
    let got = blaze_kernel_call_arrow(k, &v.cast_const(), &s, 1, v, ps);
    check(got, BLAZE_ERR_INVALID_ARGUMENT, "input 0 is also out_array");
    assert!(victim.array.is_released(), "the output is cleared first");
    // SAFETY: the cleared struct holds nothing; the saved one is restored.
    unsafe { std::ptr::write(v, std::mem::ManuallyDrop::into_inner(saved)) };
    assert!(!e.array.is_released());
    assert!(oa.is_released() && os.release().is_none());
}

/// The C Data Interface's structs written by hand, for malformed producers
/// arrow-rs cannot make.
#[repr(C)]
struct RawArray {
    length: i64,
    null_count: i64,
    offset: i64,
    n_buffers: i64,
    n_children: i64,
    buffers: *const *const c_void,
    children: *mut *mut RawArray,
    dictionary: *mut RawArray,
    release: Option<unsafe extern "C" fn(*mut RawArray)>,
    private_data: *mut c_void,
}

#[repr(C)]
struct RawSchema {
    format: *const c_char,
    name: *const c_char,
    metadata: *const c_char,
    flags: i64,
    n_children: i64,
    children: *mut *mut RawSchema,
    dictionary: *mut RawSchema,
    release: Option<unsafe extern "C" fn(*mut RawSchema)>,
    private_data: *mut c_void,
}

unsafe extern "C" fn release_array(a: *mut RawArray) {
    (*a).release = None;
}

unsafe extern "C" fn release_schema(s: *mut RawSchema) {
    (*s).release = None;
}

#[test]
fn malformed_structs_are_errors() {
    let _serial = serial();
    let values = [1.0f64, 2.0, 3.0, 4.0];
    let bitmap = [0b1011u8];
    let buffers: [*const c_void; 2] = [bitmap.as_ptr().cast(), values.as_ptr().cast()];
    let no_values: [*const c_void; 2] = [bitmap.as_ptr().cast(), null()];
    let no_bitmap: [*const c_void; 2] = [null(), values.as_ptr().cast()];
    let misaligned: [*const c_void; 2] = [
        bitmap.as_ptr().cast(),
        values.as_ptr().cast::<u8>().wrapping_add(4).cast(),
    ];
    let good_array = || RawArray {
        length: 4,
        null_count: 1,
        offset: 0,
        n_buffers: 2,
        n_children: 0,
        buffers: buffers.as_ptr(),
        children: null_mut(),
        dictionary: null_mut(),
        release: Some(release_array),
        private_data: null_mut(),
    };
    let good_schema = || RawSchema {
        format: c"g".as_ptr(),
        name: null(),
        metadata: null(),
        flags: 2,
        n_children: 0,
        children: null_mut(),
        dictionary: null_mut(),
        release: Some(release_schema),
        private_data: null_mut(),
    };
    let run = |a: &RawArray, s: &RawSchema| {
        call_raw(
            kernel("fill"),
            &[(a as *const RawArray).cast()],
            &[(s as *const RawSchema).cast()],
        )
        .map(|(a, _)| a)
    };
    // The hand-made array works as is.
    assert_eq!(
        f64s(&run(&good_array(), &good_schema()).unwrap()),
        vec![Some(1.0), Some(2.0), Some(0.0), Some(4.0)]
    );
    // A null count of -1 (not computed): the bitmap is read.
    let unknown = RawArray {
        null_count: -1,
        ..good_array()
    };
    assert_eq!(
        f64s(&run(&unknown, &good_schema()).unwrap()),
        vec![Some(1.0), Some(2.0), Some(0.0), Some(4.0)]
    );
    // A null count of 0: no nulls, whatever the bitmap holds.
    let none = RawArray {
        null_count: 0,
        ..good_array()
    };
    assert_eq!(
        f64s(&run(&none, &good_schema()).unwrap()),
        vec![Some(1.0), Some(2.0), Some(3.0), Some(4.0)]
    );
    use BlazeStatus::*;
    let bad: Vec<(RawArray, RawSchema, BlazeStatus, &str)> = vec![
        (
            good_array(),
            RawSchema {
                format: null(),
                ..good_schema()
            },
            BLAZE_ERR_NULL_POINTER,
            "the schema's format is NULL",
        ),
        (
            RawArray {
                length: -1,
                ..good_array()
            },
            good_schema(),
            BLAZE_ERR_SHAPE,
            "length is -1",
        ),
        (
            RawArray {
                offset: -3,
                ..good_array()
            },
            good_schema(),
            BLAZE_ERR_SHAPE,
            "offset is -3",
        ),
        (
            RawArray {
                n_buffers: 1,
                ..good_array()
            },
            good_schema(),
            BLAZE_ERR_INVALID_ARGUMENT,
            "n_buffers is 1",
        ),
        (
            RawArray {
                buffers: null(),
                ..good_array()
            },
            good_schema(),
            BLAZE_ERR_NULL_POINTER,
            "buffers is NULL",
        ),
        (
            RawArray {
                buffers: no_values.as_ptr(),
                ..good_array()
            },
            good_schema(),
            BLAZE_ERR_NULL_POINTER,
            "the values (buffers[1]) are NULL",
        ),
        (
            RawArray {
                buffers: no_bitmap.as_ptr(),
                ..good_array()
            },
            good_schema(),
            BLAZE_ERR_NULL_POINTER,
            "the validity bitmap (buffers[0]) is NULL, but null_count is 1",
        ),
        (
            RawArray {
                buffers: misaligned.as_ptr(),
                length: 3,
                ..good_array()
            },
            good_schema(),
            BLAZE_ERR_ALIGNMENT,
            "not aligned to 8 bytes",
        ),
    ];
    for (a, s, status, text) in bad {
        let (got, m) = run(&a, &s).expect_err(text);
        assert_eq!(got, status, "{m}");
        assert!(m.contains(text), "`{text}` not in {m}");
        assert!(m.contains("input `a`"), "{m}");
    }
}
