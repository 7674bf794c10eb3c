"""Calling blaze kernels from Python through the C ABI, with ctypes and NumPy.

Build the library first (`cargo build -p blaze-capi --release`), then run
`python3 examples/python/blaze_ctypes.py` from the repository root (NumPy
required). Set BLAZE_LIB to the library's path to use another build.

NumPy arrays are passed as DLPack `DLTensor`s that point at their memory
(any strides; blaze reads the inputs in place), and results are written
straight into NumPy arrays allocated here (through a temporary only when
an output shares memory with an input).
"""

import ctypes
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def load_library():
    candidates = [os.environ.get("BLAZE_LIB")] + [
        str(ROOT / "target" / profile / "libblaze_capi.so") for profile in ("release", "debug")
    ]
    for path in candidates:
        if path and Path(path).exists():
            return ctypes.CDLL(path)
    sys.exit("libblaze_capi.so not found: run `cargo build -p blaze-capi --release` first")


# DLPack's structs, as in include/blaze.h.
class DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class DLTensor(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("device", DLDevice),
        ("ndim", ctypes.c_int32),
        ("dtype", DLDataType),
        ("shape", ctypes.POINTER(ctypes.c_int64)),
        ("strides", ctypes.POINTER(ctypes.c_int64)),
        ("byte_offset", ctypes.c_uint64),
    ]


K_DL_CPU = 1
DTYPE_CODES = {"i": 0, "u": 1, "f": 2, "c": 5, "b": 6}

lib = load_library()
handle = ctypes.c_void_p
lib.blaze_version.restype = ctypes.c_char_p
lib.blaze_last_error_message.restype = ctypes.c_char_p
lib.blaze_status_name.restype = ctypes.c_char_p
lib.blaze_context_create.argtypes = [ctypes.POINTER(handle)]
lib.blaze_context_free.argtypes = [handle]
lib.blaze_compile.argtypes = [handle, ctypes.c_char_p, ctypes.POINTER(handle)]
lib.blaze_module_kernel.argtypes = [handle, ctypes.c_char_p, ctypes.POINTER(handle)]
lib.blaze_module_free.argtypes = [handle]
lib.blaze_kernel_free.argtypes = [handle]
lib.blaze_kernel_signature.argtypes = [handle, ctypes.POINTER(ctypes.c_char_p)]
lib.blaze_kernel_call.argtypes = [
    handle,
    ctypes.POINTER(ctypes.POINTER(DLTensor)),
    ctypes.c_size_t,
    ctypes.POINTER(ctypes.POINTER(DLTensor)),
    ctypes.c_size_t,
]


class BlazeError(RuntimeError):
    pass


def check(status):
    if status != 0:
        name = lib.blaze_status_name(status).decode()
        raise BlazeError(f"{name}: {lib.blaze_last_error_message().decode()}")


def as_tensor(a, keep):
    """A DLTensor viewing NumPy array `a`; `keep` holds what must outlive it."""
    shape = (ctypes.c_int64 * a.ndim)(*a.shape)
    # NumPy strides are in bytes, DLPack's in elements.
    strides = (ctypes.c_int64 * a.ndim)(*(s // a.itemsize for s in a.strides))
    keep += [a, shape, strides]
    kind = "b" if a.dtype == np.bool_ else a.dtype.kind
    return DLTensor(
        data=a.ctypes.data,
        device=DLDevice(K_DL_CPU, 0),
        ndim=a.ndim,
        dtype=DLDataType(DTYPE_CODES[kind], a.itemsize * 8, 1),
        shape=shape,
        strides=strides,
        byte_offset=0,
    )


def call(kernel, inputs, outputs):
    keep = []
    ins = [ctypes.pointer(as_tensor(np.asarray(x), keep)) for x in inputs]
    outs = [ctypes.pointer(as_tensor(y, keep)) for y in outputs]
    check(
        lib.blaze_kernel_call(
            kernel,
            (ctypes.POINTER(DLTensor) * len(ins))(*ins),
            len(ins),
            (ctypes.POINTER(DLTensor) * len(outs))(*outs),
            len(outs),
        )
    )


def main():
    ctx, module, axpy = handle(), handle(), handle()
    check(lib.blaze_context_create(ctypes.byref(ctx)))
    source = b"def axpy(a: float64, x: N * float64, y: N * float64) = a * x + y"
    check(lib.blaze_compile(ctx, source, ctypes.byref(module)))
    check(lib.blaze_module_kernel(module, b"axpy", ctypes.byref(axpy)))
    sig = ctypes.c_char_p()
    check(lib.blaze_kernel_signature(axpy, ctypes.byref(sig)))
    print(f"blaze {lib.blaze_version().decode()}: {sig.value.decode()}")

    x = np.linspace(0.0, 1.0, 1_000_000)
    y = np.arange(1_000_000, dtype=np.float64)[::-1]  # a reversed view: stride -1
    out = np.empty_like(x)
    call(axpy, [np.float64(2.5), x, y], [out])
    assert np.allclose(out, 2.5 * x + y, rtol=1e-14), "axpy disagrees with NumPy"
    print(f"axpy on {x.size} doubles agrees with NumPy; out[:3] = {out[:3]}")

    try:
        call(axpy, [np.float64(2.5), x.astype(np.float32), y], [out])
    except BlazeError as e:
        print(f"float32 x is refused: {e}")
    else:
        raise AssertionError("a float32 x was accepted")

    for f, h in [(lib.blaze_kernel_free, axpy), (lib.blaze_module_free, module), (lib.blaze_context_free, ctx)]:
        check(f(h))


if __name__ == "__main__":
    main()
