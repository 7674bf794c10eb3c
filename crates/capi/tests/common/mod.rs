//! What the C ABI's tests share.

use blaze_capi::*;

/// A CPU `float64` tensor over `data` of `shape`, C-contiguous (no
/// strides), with no byte offset.
pub fn tensor(data: *mut f64, shape: &mut [i64]) -> DLTensor {
    DLTensor {
        data: data.cast(),
        device: DLDevice {
            device_type: DLDeviceType::kDLCPU,
            device_id: 0,
        },
        ndim: shape.len() as i32,
        dtype: DLDataType {
            code: DLDataTypeCode::kDLFloat as u8,
            bits: 64,
            lanes: 1,
        },
        shape: shape.as_mut_ptr(),
        strides: std::ptr::null_mut(),
        byte_offset: 0,
    }
}
