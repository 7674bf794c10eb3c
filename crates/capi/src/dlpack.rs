//! DLPack's tensor structs, with DLPack's own names and layout (dlpack.h,
//! v1.0), so that C callers fill them directly and tensors from NumPy,
//! PyTorch or JAX (`__dlpack__`) pass through unchanged.
//!
//! blaze never forms a Rust reference to a caller's tensor: fields are read
//! through raw pointers, and the enum field `device_type` is read as an
//! `int32_t`, because a C caller may store any integer there.

#![allow(non_camel_case_types, non_upper_case_globals)]

use std::ffi::c_void;

/// Where a tensor's memory lives. blaze accepts `kDLCPU` only.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DLDeviceType {
    /// Host memory.
    kDLCPU = 1,
    /// CUDA device memory.
    kDLCUDA = 2,
    /// CUDA pinned host memory.
    kDLCUDAHost = 3,
    /// OpenCL device memory.
    kDLOpenCL = 4,
    /// Vulkan buffers.
    kDLVulkan = 7,
    /// Metal (Apple GPU).
    kDLMetal = 8,
    /// Verilog simulator buffers.
    kDLVPI = 9,
    /// ROCm device memory.
    kDLROCM = 10,
    /// ROCm pinned host memory.
    kDLROCMHost = 11,
    /// Reserved for extensions.
    kDLExtDev = 12,
    /// CUDA managed (unified) memory.
    kDLCUDAManaged = 13,
    /// oneAPI unified shared memory.
    kDLOneAPI = 14,
    /// WebGPU buffers.
    kDLWebGPU = 15,
    /// Qualcomm Hexagon DSP.
    kDLHexagon = 16,
    /// Microsoft MAIA.
    kDLMAIA = 17,
}

/// A device: its type and its index among devices of that type (0 for the
/// CPU).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct DLDevice {
    /// The device type (`kDLCPU`).
    pub device_type: DLDeviceType,
    /// The device index.
    pub device_id: i32,
}

/// The kind of an element type (`DLDataType::code`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DLDataTypeCode {
    /// Signed integers: bits 8, 16, 32, 64.
    kDLInt = 0,
    /// Unsigned integers: bits 8, 16, 32, 64.
    kDLUInt = 1,
    /// IEEE floats: bits 16, 32, 64.
    kDLFloat = 2,
    /// Opaque handles (not accepted by blaze).
    kDLOpaqueHandle = 3,
    /// bfloat16 (not accepted by blaze).
    kDLBfloat = 4,
    /// Complex numbers: bits 64 (two float32) or 128 (two float64).
    kDLComplex = 5,
    /// Booleans stored as one byte each (bits 8), 0 or 1.
    kDLBool = 6,
}

/// An element type: code (`DLDataTypeCode`), bits per element, lanes (1
/// for scalars; blaze accepts 1 only).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DLDataType {
    /// A `DLDataTypeCode`.
    pub code: u8,
    /// Bits per lane.
    pub bits: u8,
    /// Lanes per element.
    pub lanes: u16,
}

/// A strided n-dimensional array view (not owning its memory).
///
/// The element at index `(i0, …, in-1)` is at
/// `(char*)data + byte_offset + size * Σ ik * strides[k]`, `size` being
/// the element size; `strides == NULL` means compact row-major (C order).
/// A 0-d tensor (`ndim == 0`, `shape` may be NULL) holds one element: that
/// is how scalars are passed to a JIT kernel.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct DLTensor {
    /// The start of the allocation (may be NULL when the tensor is empty).
    pub data: *mut c_void,
    /// Where the memory lives.
    pub device: DLDevice,
    /// Number of dimensions.
    pub ndim: i32,
    /// The element type.
    pub dtype: DLDataType,
    /// `ndim` lengths.
    pub shape: *mut i64,
    /// `ndim` strides in elements, or NULL for compact row-major.
    pub strides: *mut i64,
    /// Bytes from `data` to the first element.
    pub byte_offset: u64,
}

/// A tensor with an owner: blaze allocates its results this way in
/// `blaze_kernel_call_alloc`. Call `deleter(self)` (or
/// `blaze_tensor_free`) exactly once when done with it.
#[repr(C)]
#[derive(Debug)]
pub struct DLManagedTensor {
    /// The tensor.
    pub dl_tensor: DLTensor,
    /// The owner's context (blaze's storage; do not touch).
    pub manager_ctx: *mut c_void,
    /// Frees the tensor and its memory.
    pub deleter: Option<unsafe extern "C" fn(*mut DLManagedTensor)>,
}
