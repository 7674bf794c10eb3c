#!/usr/bin/env python3
"""Writes the NumPy fixtures of the reference-interpreter tests (tests/interp.rs).

Run from anywhere, with NumPy installed (any NumPy >= 2.0: its promotion of
Python scalars, NEP 50, is blaze's weak-literal rule):

    python3 tests/data/interp/make_fixtures.py

It rewrites, next to itself:

* ``inputs/*.npy``   small deterministic input arrays (fixed seed);
* ``expected/*.npy`` what NumPy computes for each case (a case with a tuple
  result has one file per element: ``NAME_0.npy``, ``NAME_1.npy``, ...);
* ``cases.txt``      the manifest the Rust test reads (format in its header).

The output is deterministic: running the script twice gives the same bytes.
The Rust test needs no Python; commit the regenerated files.

Where blaze deliberately differs from NumPy, the expected value is computed
the blaze way and the case says why in a ``# blaze rule:`` comment (copied
into the manifest). Everything else is plain NumPy.
"""

import os
import shutil

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
INPUTS = os.path.join(HERE, "inputs")
EXPECTED = os.path.join(HERE, "expected")

# Comparison modes (see the manifest header for their exact meaning).
F64 = "rtol=1e-12"
# float32: NumPy's SIMD float32 loops (sin, exp, log, ...) are accurate to
# a few ulp, blaze's are libm's; 1e-6 is about 8 ulp of float32.
F32 = "rtol=1e-6"
# float16: NumPy computes float16 functions in float32 and rounds; one ulp of
# float16 is 2^-10 ~ 9.8e-4 relative, so allow one rounding difference.
F16 = "rtol=1e-3"
# Linear algebra: blaze's own algorithms against LAPACK; entries that should
# be 0 come out as 1e-17, so compare relative to the largest entry.
LA = "nrtol=1e-12"
EXACT = "exact"

rng = np.random.default_rng(20240611)

inputs = {}  # name -> array
cases = []  # (name, source, {param: input}, [expected arrays], mode, note)


def inp(name, array):
    assert name not in inputs, name
    inputs[name] = np.array(array, order="C", copy=True)
    return inputs[name]


def case(name, source, args, expected, mode, note=""):
    assert all(c[0] != name for c in cases), name
    if not isinstance(expected, (list, tuple)):
        expected = [expected]
    expected = [np.asarray(e) for e in expected]
    for a in args.values():
        assert a in inputs, a
    cases.append((name, source, dict(args), expected, mode, note))


def uniform(lo, hi, shape):
    return rng.uniform(lo, hi, shape)


def dyadic(lo, hi, shape, denom=4):
    """Multiples of 1/denom: sums and products are exact in any order."""
    return rng.integers(lo * denom, hi * denom + 1, shape).astype(np.float64) / denom


# ------------------------------------------------------------------ inputs

x = inp("x", uniform(-3, 3, (3, 4)))
y0 = uniform(0.2, 3, (3, 4)) * rng.choice([-1.0, 1.0], (3, 4))
y = inp("y", y0)
p = inp("p", uniform(0.1, 5, (3, 4)))
u = inp("u", uniform(-0.95, 0.95, (3, 4)))
h = inp("h", np.array([-2.5, -1.5, -0.5, -0.0, 0.5, 1.5, 2.5, -0.4, 3.7, 0.0]))
xn = inp("xn", np.array([1.0, np.nan, -2.0, 3.0, np.nan, 0.5]))
yn = inp("yn", np.array([np.nan, 2.0, -3.0, 1.0, np.nan, 0.25]))
d = inp("d", dyadic(-4, 4, (3, 4)))
e = inp("e", dyadic(-4, 4, (3, 4)))
# e shares some entries with d so == and != see both answers
e[0, :2] = d[0, :2]
e[2, 3] = d[2, 3]
t = inp("t", dyadic(-3, 3, (2, 3, 4)))
v8 = inp("v8", np.arange(8.0) * 1.5 - 4)
col = inp("col", uniform(-2, 2, (3, 1)))
row = inp("row", uniform(-2, 2, (4,)))
s = inp("s", np.array(2.5))

ia = inp("ia", rng.integers(-20, 21, (3, 4)).astype(np.int32))
ib0 = rng.integers(1, 7, (3, 4)) * rng.choice([-1, 1], (3, 4))
ib = inp("ib", ib0.astype(np.int32))
iz = inp("iz", np.array([[3, 0, -3, 0], [2, -2, 0, 5], [0, 1, -1, 0]], np.int32))
ie = inp("ie", rng.integers(0, 4, (3, 4)).astype(np.int32))
ineg = inp("ineg", np.array([-3, -2, -1, 0, 1, 2, 3], np.int32))
ibase = inp("ibase", np.array([2, -1, 1, -1, 0, 3, 1], np.int32))
ismall = inp("ismall", rng.integers(-3, 4, (3, 4)).astype(np.int32))
i8 = inp("i8", np.array([1, -2, 3, 100, -100, 0], np.int8))
u8 = inp("u8", np.array([1, 2, 250, 100, 7, 0], np.uint8))
i64 = inp("i64", np.array([10, -20, 30, -40, 50, 60], np.int64))
ba = inp("ba", rng.random((3, 4)) < 0.5)
bb = inp("bb", rng.random((3, 4)) < 0.5)

f32a = inp("f32a", uniform(-3, 3, (3, 4)).astype(np.float32))
f32b = inp("f32b", uniform(-3, 3, (3, 4)).astype(np.float32))
f32p = inp("f32p", uniform(0.1, 5, (3, 4)).astype(np.float32))
f16a = inp("f16a", uniform(-3, 3, (6,)).astype(np.float16))
f16b = inp("f16b", uniform(-3, 3, (6,)).astype(np.float16))
za = inp("za", (uniform(-2, 2, (4,)) + 1j * uniform(-2, 2, (4,))).astype(np.complex128))
zb = inp("zb", (uniform(-2, 2, (4,)) + 1j * uniform(-2, 2, (4,))).astype(np.complex128))
z4 = inp("z4", uniform(-2, 2, (4,)))

m23 = inp("m23", uniform(-2, 2, (2, 3)))
m34 = inp("m34", uniform(-2, 2, (3, 4)))
m45 = inp("m45", uniform(-2, 2, (4, 5)))
v3 = inp("v3", uniform(-2, 2, (3,)))
v4 = inp("v4", uniform(-2, 2, (4,)))
t234 = inp("t234", uniform(-2, 2, (2, 3, 4)))
t245 = inp("t245", uniform(-2, 2, (2, 4, 5)))
a3 = inp("a3", uniform(-2, 2, (3,)))
b3 = inp("b3", uniform(-2, 2, (3,)))
n5 = inp("n5", uniform(-2, 2, (5,)))
alpha = inp("alpha", np.array(-1.75))

# linear algebra: well-conditioned, no ties, nothing degenerate
A = inp("A", uniform(-1, 1, (4, 4)) + 4 * np.eye(4))
b = inp("b", uniform(-2, 2, (4,)))
B = inp("B", uniform(-2, 2, (4, 2)))
G = uniform(-1, 1, (4, 4))
S = inp("S", G @ G.T + 4 * np.eye(4))  # symmetric positive definite
# a real matrix with two complex-conjugate pairs of eigenvalues
while True:
    Nm = uniform(-2, 2, (4, 4))
    w = np.linalg.eigvals(Nm)
    if (abs(w.imag) > 0.3).sum() == 4 and np.min(abs(w[:, None] - w[None, :]) + np.eye(4) * 9) > 0.3:
        break
N = inp("N", Nm)
R = inp("R", uniform(-2, 2, (5, 3)))
rb = inp("rb", uniform(-2, 2, (5,)))
RB = inp("RB", uniform(-2, 2, (5, 2)))
X53 = inp("X53", uniform(-2, 2, (5, 3)))
X44 = inp("X44", uniform(-2, 2, (4, 4)))
ZA = inp("ZA", uniform(-1, 1, (3, 3)) + 1j * uniform(-1, 1, (3, 3)) + 3 * np.eye(3))
ZG = uniform(-1, 1, (3, 3)) + 1j * uniform(-1, 1, (3, 3))
ZH = inp("ZH", ZG @ ZG.conj().T + np.eye(3))  # Hermitian positive definite
zv = inp("zv", uniform(-1, 1, (3,)) + 1j * uniform(-1, 1, (3,)))
ZR = inp("ZR", uniform(-1, 1, (4, 2)) + 1j * uniform(-1, 1, (4, 2)))
zr = inp("zr", uniform(-1, 1, (4,)) + 1j * uniform(-1, 1, (4,)))
i8m = inp("i8m", np.array([-128, -127, -1, 0, 1, 127], np.int8))
u64 = inp("u64", np.array([1, 2, 3, 2**63, 5, 6], np.uint64))
fbad = inp("fbad", np.array([np.nan, 1e10, -1e10, 2.7, -2.7, np.inf, -np.inf, -0.5]))
ibig = inp("ibig", np.array([300, -200, 128, -129, 255, 70000], np.int32))

# ------------------------------------------------------------- elementwise

np.seterr(all="ignore")

case("neg_f64", "-x", {"x": "x"}, -x, F64)
case("abs_f64", "abs(x)", {"x": "x"}, np.abs(x), F64)
case("sqrt_f64", "sqrt(p)", {"p": "p"}, np.sqrt(p), F64)
case("exp_f64", "exp(x)", {"x": "x"}, np.exp(x), F64)
case("log_f64", "log(p)", {"p": "p"}, np.log(p), F64)
case("log2_f64", "log2(p)", {"p": "p"}, np.log2(p), F64)
case("log10_f64", "log10(p)", {"p": "p"}, np.log10(p), F64)
case("sin_f64", "sin(x)", {"x": "x"}, np.sin(x), F64)
case("cos_f64", "cos(x)", {"x": "x"}, np.cos(x), F64)
case("tan_f64", "tan(x)", {"x": "x"}, np.tan(x), F64)
case("arcsin_f64", "arcsin(u)", {"u": "u"}, np.arcsin(u), F64)
case("arccos_f64", "arccos(u)", {"u": "u"}, np.arccos(u), F64)
case("arctan_f64", "arctan(x)", {"x": "x"}, np.arctan(x), F64)
case("sinh_f64", "sinh(x)", {"x": "x"}, np.sinh(x), F64)
case("cosh_f64", "cosh(x)", {"x": "x"}, np.cosh(x), F64)
case("tanh_f64", "tanh(x)", {"x": "x"}, np.tanh(x), F64)
case("floor_f64", "floor(h)", {"h": "h"}, np.floor(h), EXACT)
case("ceil_f64", "ceil(h)", {"h": "h"}, np.ceil(h), EXACT)
case("round_f64", "round(h)", {"h": "h"}, np.round(h), EXACT, "half to even")
case("sign_f64", "sign(h)", {"h": "h"}, np.sign(h), F64)
case("sign_nan", "sign(xn)", {"xn": "xn"}, np.sign(xn), EXACT)
case("isnan_f64", "isnan(xn)", {"xn": "xn"}, np.isnan(xn), EXACT)
case("isna_f64", "isna(x)", {"x": "x"}, np.zeros(x.shape, bool), EXACT,
     "blaze rule: a .npy input has no missing values, so isna is all false")
case("minimum_f64", "minimum(x, y)", {"x": "x", "y": "y"}, np.minimum(x, y), EXACT)
case("maximum_f64", "maximum(x, y)", {"x": "x", "y": "y"}, np.maximum(x, y), EXACT)
case("minimum_nan", "minimum(xn, yn)", {"xn": "xn", "yn": "yn"}, np.minimum(xn, yn), EXACT,
     "NaN propagates")
case("maximum_nan", "maximum(xn, yn)", {"xn": "xn", "yn": "yn"}, np.maximum(xn, yn), EXACT)
case("arctan2_f64", "arctan2(x, y)", {"x": "x", "y": "y"}, np.arctan2(x, y), F64)
case("pow_f64", "pow(p, x)", {"p": "p", "x": "x"}, np.power(p, x), F64)
case("where_f64", "where(x > 0, x, 0)", {"x": "x"}, np.where(x > 0, x, 0.0), EXACT)
case("where_xy", "where(x > y, x, y)", {"x": "x", "y": "y"}, np.where(x > y, x, y), EXACT)
case("where_int", "where(ba, ia, ib)", {"ba": "ba", "ia": "ia", "ib": "ib"},
     np.where(ba, ia, ib), EXACT)

# float32
case("sin_f32", "sin(f32a)", {"f32a": "f32a"}, np.sin(f32a), F32)
case("exp_f32", "exp(f32a)", {"f32a": "f32a"}, np.exp(f32a), F32)
case("log_f32", "log(f32p)", {"f32p": "f32p"}, np.log(f32p), F32)
case("sqrt_f32", "sqrt(f32p)", {"f32p": "f32p"}, np.sqrt(f32p), F32)
case("tanh_f32", "tanh(f32a)", {"f32a": "f32a"}, np.tanh(f32a), F32)
case("arctan2_f32", "arctan2(f32a, f32b)", {"f32a": "f32a", "f32b": "f32b"},
     np.arctan2(f32a, f32b), F32)
case("add_f32", "f32a + f32b", {"f32a": "f32a", "f32b": "f32b"}, f32a + f32b, EXACT)
case("div_f32", "f32a / f32b", {"f32a": "f32a", "f32b": "f32b"}, f32a / f32b, EXACT)
# float16
case("add_f16", "f16a + f16b", {"f16a": "f16a", "f16b": "f16b"}, f16a + f16b, EXACT)
case("mul_f16", "f16a * f16b", {"f16a": "f16a", "f16b": "f16b"}, f16a * f16b, EXACT)
case("sin_f16", "sin(f16a)", {"f16a": "f16a"}, np.sin(f16a), F16)
case("exp_f16", "exp(f16a)", {"f16a": "f16a"}, np.exp(f16a), F16)
# int32
case("abs_i32", "abs(ia)", {"ia": "ia"}, np.abs(ia), EXACT)
case("sign_i32", "sign(ia)", {"ia": "ia"}, np.sign(ia), EXACT)
case("neg_i32", "-ia", {"ia": "ia"}, -ia, EXACT)
case("minimum_i32", "minimum(ia, ib)", {"ia": "ia", "ib": "ib"}, np.minimum(ia, ib), EXACT)
case("maximum_i32", "maximum(ia, ib)", {"ia": "ia", "ib": "ib"}, np.maximum(ia, ib), EXACT)
case("sqrt_i32", "sqrt(abs(ia))", {"ia": "ia"}, np.sqrt(np.abs(ia)), F64,
     "integers compute in float64")
case("sin_i32", "sin(ia)", {"ia": "ia"}, np.sin(ia), F64)
case("floor_i32", "floor(ia)", {"ia": "ia"}, np.floor(ia), EXACT,
     "integers unchanged, int32 (as NumPy 2)")
case("round_i32", "round(ia)", {"ia": "ia"}, np.round(ia), EXACT)
# complex128
case("abs_c128", "abs(za)", {"za": "za"}, np.abs(za), F64)
case("sqrt_c128", "sqrt(za)", {"za": "za"}, np.sqrt(za), F64)
case("exp_c128", "exp(za)", {"za": "za"}, np.exp(za), F64)
case("log_c128", "log(za)", {"za": "za"}, np.log(za), F64)
case("sin_c128", "sin(za)", {"za": "za"}, np.sin(za), F64)
case("add_c128", "za + zb", {"za": "za", "zb": "zb"}, za + zb, F64)
case("mul_c128", "za * zb", {"za": "za", "zb": "zb"}, za * zb, F64)
case("div_c128", "za / zb", {"za": "za", "zb": "zb"}, za / zb, F64)
case("pow_c128", "za ** 2", {"za": "za"}, za ** 2, F64)
case("eq_c128", "za == zb", {"za": "za", "zb": "zb"}, za == zb, EXACT)
case("mix_f64_c128", "z4 * za", {"z4": "z4", "za": "za"}, z4 * za, F64)
case("sign_c128", "sign(za)", {"za": "za"}, za / np.abs(za), F64,
     "sign(z) = z/|z|, NumPy 2's definition")

# -------------------------------------------------------------- arithmetic

case("add_f64", "x + y", {"x": "x", "y": "y"}, x + y, F64)
case("sub_f64", "x - y", {"x": "x", "y": "y"}, x - y, F64)
case("mul_f64", "x * y", {"x": "x", "y": "y"}, x * y, F64)
case("div_f64", "x / y", {"x": "x", "y": "y"}, x / y, F64)
case("floordiv_f64", "x // y", {"x": "x", "y": "y"}, x // y, EXACT)
case("mod_f64", "x % y", {"x": "x", "y": "y"}, x % y, F64, "sign of the divisor")
case("pow_f64_op", "p ** x", {"p": "p", "x": "x"}, p ** x, F64)
case("square_f64", "x ** 2", {"x": "x"}, x ** 2, F64)
case("floordiv_f64_neg", "v8 // -1.5", {"v8": "v8"}, v8 // -1.5, EXACT)
case("mod_f64_neg", "v8 % -2.5", {"v8": "v8"}, v8 % -2.5, EXACT)
case("add_i32", "ia + ib", {"ia": "ia", "ib": "ib"}, ia + ib, EXACT)
case("sub_i32", "ia - ib", {"ia": "ia", "ib": "ib"}, ia - ib, EXACT)
case("mul_i32", "ia * ib", {"ia": "ia", "ib": "ib"}, ia * ib, EXACT)
case("div_i32", "ia / ib", {"ia": "ia", "ib": "ib"}, ia / ib, F64, "int / int is float64")
case("floordiv_i32", "ia // ib", {"ia": "ia", "ib": "ib"}, ia // ib, EXACT,
     "floor, not truncation")
case("mod_i32", "ia % ib", {"ia": "ia", "ib": "ib"}, ia % ib, EXACT, "sign of the divisor")
case("floordiv_i32_zero", "ia // iz", {"ia": "ia", "iz": "iz"}, ia // iz, EXACT,
     "integer division by zero gives 0 (NumPy too, with a warning)")
case("mod_i32_zero", "ia % iz", {"ia": "ia", "iz": "iz"}, ia % iz, EXACT)
case("pow_i32", "ia ** ie", {"ia": "ia", "ie": "ie"}, ia ** ie, EXACT)
case("pow_i32_lit", "ismall ** 3", {"ismall": "ismall"}, ismall ** 3, EXACT)


def int_pow_neg(base, exp):
    # blaze rule (crates/ir/src/ops.rs, Pow): an integer base to a negative
    # integer power is 1/base^n truncated toward zero: 1 or -1 for base +-1,
    # else 0 (also 0 for base 0). NumPy raises ValueError instead.
    out = []
    for bb_, ee in zip(base.tolist(), exp.tolist()):
        if ee >= 0:
            out.append(bb_ ** ee)
        elif bb_ == 1:
            out.append(1)
        elif bb_ == -1:
            out.append(-1 if ee % 2 else 1)
        else:
            out.append(0)
    return np.array(out, base.dtype)


case("pow_i32_negexp", "ibase ** ineg", {"ibase": "ibase", "ineg": "ineg"},
     int_pow_neg(ibase, ineg), EXACT,
     "blaze rule: int ** negative int truncates 1/base^n toward zero; NumPy raises")
case("floordiv_lit", "7 // -2", {}, np.int64(7 // -2), EXACT, "lone literals are int64")
case("mod_lit", "7 % -3", {}, np.int64(7 % -3), EXACT)
case("mod_lit_f64", "7.5 % -2", {}, np.float64(7.5 % -2), EXACT)
case("neg_mod_i32", "-ia % 7", {"ia": "ia"}, -ia % np.int32(7), EXACT)

# promotion and weak literals
case("weak_int8", "2 * i8", {"i8": "i8"}, 2 * i8, EXACT, "weak literal keeps int8 (wraps)")
case("weak_int8_add", "i8 + 100", {"i8": "i8"}, i8 + np.int8(100), EXACT,
     "int8 arithmetic wraps")
case("weak_f32", "f32a * 2.5", {"f32a": "f32a"}, f32a * 2.5, EXACT, "weak literal keeps float32")
case("weak_f32_int", "f32a + 1", {"f32a": "f32a"}, f32a + 1, EXACT)
case("weak_int8_float", "i8 + 1.5", {"i8": "i8"}, i8 + 1.5, EXACT,
     "a float literal with an integer array gives float64")
case("promote_i8_u8", "i8 + u8", {"i8": "i8", "u8": "u8"}, i8 + u8, EXACT, "int16")
case("promote_i32_f64", "ia + x", {"ia": "ia", "x": "x"}, ia + x, F64)
case("promote_i32_f32", "ia * f32a", {"ia": "ia", "f32a": "f32a"},
     ia.astype(np.float32) * f32a, EXACT,
     "blaze rule (LANGUAGE.md 1.5): int32 with float32 is float32; NumPy gives float64")
case("promote_i64_f32", "i64 + f32a[0, 0]", {"i64": "i64", "f32a": "f32a"},
     i64.astype(np.float32) + f32a[0, 0], EXACT,
     "blaze rule: int64 with float32 is float32")
case("promote_f32_f64", "f32a + x", {"f32a": "f32a", "x": "x"}, f32a + x, F64)
case("promote_f32_c128", "f32a[0] + za", {"f32a": "f32a", "za": "za"}, f32a[0] + za, F64)
case("promote_bool_int", "ba + ia", {"ba": "ba", "ia": "ia"}, ba + ia, EXACT)

# comparisons and logic
case("lt_f64", "x < y", {"x": "x", "y": "y"}, x < y, EXACT)
case("le_f64", "d <= e", {"d": "d", "e": "e"}, d <= e, EXACT)
case("gt_lit", "x > 0", {"x": "x"}, x > 0, EXACT)
case("ge_i32", "ia >= ib", {"ia": "ia", "ib": "ib"}, ia >= ib, EXACT)
case("eq_f64", "d == e", {"d": "d", "e": "e"}, d == e, EXACT)
case("ne_f64", "d != e", {"d": "d", "e": "e"}, d != e, EXACT)
case("eq_nan", "xn == xn", {"xn": "xn"}, xn == xn, EXACT)
case("cmp_mixed", "ia < x", {"ia": "ia", "x": "x"}, ia < x, EXACT)
case("and_cmp", "x > 0 and y > 0", {"x": "x", "y": "y"}, (x > 0) & (y > 0), EXACT)
case("or_bool", "ba or bb", {"ba": "ba", "bb": "bb"}, ba | bb, EXACT)
case("and_bool", "ba and bb", {"ba": "ba", "bb": "bb"}, ba & bb, EXACT)
case("not_bool", "not ba", {"ba": "ba"}, ~ba, EXACT)
case("not_cmp_or", "not (x > 1) or ba", {"x": "x", "ba": "ba"}, ~(x > 1) | ba, EXACT)
case("and_numbers", "ia and ib", {"ia": "ia", "ib": "ib"}, np.logical_and(ia, ib), EXACT,
     "logical and of numbers: nonzero is true")

# broadcasting
case("bcast_col_row", "col + row", {"col": "col", "row": "row"}, col + row, F64)
case("bcast_col_row_mul", "col * row", {"col": "col", "row": "row"}, col * row, F64)
case("bcast_scalar", "s * x", {"s": "s", "x": "x"}, s * x, F64)
case("bcast_scalar_rev", "x - s", {"s": "s", "x": "x"}, x - s, F64)
case("bcast_row", "x - row", {"x": "x", "row": "row"}, x - row, F64)
case("bcast_3d", "t + x", {"t": "t", "x": "x"}, t + x, F64)
case("bcast_lit", "2 + row", {"row": "row"}, 2 + row, F64)

# casts
case("astype_f32", "x.astype(float32)", {"x": "x"}, x.astype(np.float32), EXACT)
case("cast_int32", "cast(x, int32)", {"x": "x"}, x.astype(np.int32), EXACT,
     "float to int truncates toward zero")
case("cast_i32_f64", "cast(ia, float64)", {"ia": "ia"}, ia.astype(np.float64), EXACT)
case("astype_i8", "ia.astype(int8)", {"ia": "ia"}, ia.astype(np.int8), EXACT)
case("cast_bool_int", "cast(ba, int32)", {"ba": "ba"}, ba.astype(np.int32), EXACT)
case("cast_f64_bool", "cast(d, bool)", {"d": "d"}, d.astype(bool), EXACT)
case("cast_complex", "cast(x, complex[float64])", {"x": "x"}, x.astype(np.complex128), EXACT)
case("astype_f16", "x.astype(float16)", {"x": "x"}, x.astype(np.float16), EXACT)
case("cast_then_div", "cast(i8, float32) / 2", {"i8": "i8"}, i8.astype(np.float32) / 2, EXACT)

# the evaluation rules of docs/LANGUAGE.md 2.5 where NumPy warns or is undefined
case("floordiv_f64_zero", "h // 0.0", {"h": "h"}, h // 0.0, EXACT,
     "float x // 0 is +-inf, 0 // 0 is nan (NumPy)")
case("mod_f64_zero", "h % 0.0", {"h": "h"}, h % 0.0, EXACT, "float x % 0 is nan (NumPy)")
case("div_f64_zero", "h / 0", {"h": "h"}, h / 0.0, EXACT)
case("floordiv_min", "i8m // -1", {"i8m": "i8m"},
     np.array([-128, 127, 1, 0, -1, -127], np.int8), EXACT,
     "blaze rule: MIN // -1 wraps to MIN")
case("mod_min", "i8m % -1", {"i8m": "i8m"}, np.zeros(6, np.int8), EXACT)
case("abs_min", "abs(i8m)", {"i8m": "i8m"}, np.abs(i8m), EXACT, "abs(MIN) is MIN, as NumPy")
case("neg_min", "-i8m", {"i8m": "i8m"}, -i8m, EXACT, "wraps")
case("sub_u8_wrap", "u8 - 1", {"u8": "u8"}, u8 - np.uint8(1), EXACT, "unsigned wraps")
case("promote_i64_u64", "i64 + u64", {"i64": "i64", "u64": "u64"}, i64 + u64, F64,
     "int64 with uint64 is float64")
case("cast_nan_saturate", "cast(fbad, int32)", {"fbad": "fbad"},
     np.array([0, 2**31 - 1, -2**31, 2, -2, 2**31 - 1, -2**31, 0], np.int32), EXACT,
     "blaze rule: float -> int truncates, NaN gives 0, out of range saturates "
     "(NumPy: undefined)")
case("cast_int_wrap", "cast(ibig, int8)", {"ibig": "ibig"}, ibig.astype(np.int8), EXACT,
     "integer -> narrower integer wraps")
case("cast_complex_real", "cast(za, float64)", {"za": "za"}, za.real.copy(), EXACT,
     "complex -> real keeps the real part")
case("cast_complex_bool", "cast(za * 0, bool)", {"za": "za"}, np.zeros(4, bool), EXACT)
case("bool_add_or", "ba + bb", {"ba": "ba", "bb": "bb"}, ba + bb, EXACT, "bool + is or")
case("bool_mul_and", "ba * bb", {"ba": "ba", "bb": "bb"}, ba * bb, EXACT, "bool * is and")
case("weak_complex_f32", "1j * f32a", {"f32a": "f32a"}, 1j * f32a, EXACT,
     "complex literal with float32 is complex[float32]")
case("c64_mul", "(1j * f32a) * f32b", {"f32a": "f32a", "f32b": "f32b"},
     (1j * f32a) * f32b, F32)
case("array_literal", "[1, 2, 3] + 2", {}, np.array([1, 2, 3]) + 2, EXACT,
     "weak with weak: int64")
case("array_literal_f32", "f32a[0, 0:3] * [1, 2, 3]", {"f32a": "f32a"},
     f32a[0, 0:3] * np.array([1, 2, 3], np.float32), EXACT, "weak array literal keeps float32")
case("neg_pow_prec", "-x**2", {"x": "x"}, -x ** 2, F64, "-(x**2)")
case("round_f32", "round(f32a * 2)", {"f32a": "f32a"}, np.round(f32a * 2), EXACT)
case("floor_f16", "floor(f16a)", {"f16a": "f16a"}, np.floor(f16a), EXACT)
case("mean_bool", "mean(ba)", {"ba": "ba"}, np.mean(ba), F64)
case("argmin_i32", "argmin(ia, axis=1)", {"ia": "ia"}, np.argmin(ia, axis=1), EXACT)
case("keepdims_false", "max(d, axis=1, keepdims=false)", {"d": "d"}, np.max(d, axis=1), EXACT)
case("where_scalar_cond", "where(s > 0, x, -x)", {"s": "s", "x": "x"},
     np.where(s > 0, x, -x), EXACT)
case("where_bcast", "where(col > 0, row, 0.5)", {"col": "col", "row": "row"},
     np.where(col > 0, row, 0.5), EXACT)

# -------------------------------------------------------------- reductions

case("sum_all", "sum(d)", {"d": "d"}, np.sum(d), EXACT)
case("sum_axis0", "sum(d, axis=0)", {"d": "d"}, np.sum(d, axis=0), EXACT)
case("sum_axis_neg", "sum(d, axis=-1)", {"d": "d"}, np.sum(d, axis=-1), EXACT)
case("sum_axis_tuple", "sum(t, axis=(0, 2))", {"t": "t"}, np.sum(t, axis=(0, 2)), EXACT)
case("sum_keepdims", "sum(t, axis=1, keepdims=true)", {"t": "t"},
     np.sum(t, axis=1, keepdims=True), EXACT)
case("sum_tuple_neg_keepdims", "sum(t, axis=(0, -1), keepdims=true)", {"t": "t"},
     np.sum(t, axis=(0, -1), keepdims=True), EXACT)
case("sum_f64_random", "sum(x, axis=1)", {"x": "x"}, np.sum(x, axis=1), F64)
case("prod_axis1", "prod(d, axis=1)", {"d": "d"}, np.prod(d, axis=1), EXACT)
case("prod_all", "prod(p)", {"p": "p"}, np.prod(p), F64)
case("min_axis0", "min(d, axis=0)", {"d": "d"}, np.min(d, axis=0), EXACT)
case("max_axis_neg", "max(t, axis=-1)", {"t": "t"}, np.max(t, axis=-1), EXACT)
case("min_tuple_keepdims", "min(t, axis=(0, 2), keepdims=true)", {"t": "t"},
     np.min(t, axis=(0, 2), keepdims=True), EXACT)
case("max_all", "max(x)", {"x": "x"}, np.max(x), EXACT)
case("max_nan", "max(xn)", {"xn": "xn"}, np.max(xn), EXACT, "NaN propagates")
case("mean_all", "mean(x)", {"x": "x"}, np.mean(x), F64)
case("mean_tuple", "mean(t, axis=(1, 2))", {"t": "t"}, np.mean(t, axis=(1, 2)), F64)
case("mean_axis0", "mean(x, axis=0)", {"x": "x"}, np.mean(x, axis=0), F64)
case("var_axis0", "var(x, axis=0)", {"x": "x"}, np.var(x, axis=0), F64)
case("var_all", "var(x)", {"x": "x"}, np.var(x), F64)
case("std_all", "std(x)", {"x": "x"}, np.std(x), F64)
case("std_keepdims", "std(t, axis=-1, keepdims=true)", {"t": "t"},
     np.std(t, axis=-1, keepdims=True), F64)
case("any_axis1", "any(x > 2, axis=1)", {"x": "x"}, np.any(x > 2, axis=1), EXACT)
case("all_axis0", "all(ia > -15, axis=0)", {"ia": "ia"}, np.all(ia > -15, axis=0), EXACT)
case("any_all", "any(ba)", {"ba": "ba"}, np.any(ba), EXACT)
case("all_all", "all(bb)", {"bb": "bb"}, np.all(bb), EXACT)
case("any_numbers", "any(d, axis=0)", {"d": "d"}, np.any(d, axis=0), EXACT)
case("all_numbers_keepdims", "all(d, axis=1, keepdims=true)", {"d": "d"},
     np.all(d, axis=1, keepdims=True), EXACT)
case("argmin_axis0", "argmin(x, axis=0)", {"x": "x"}, np.argmin(x, axis=0), EXACT)
case("argmax_axis_neg", "argmax(x, axis=-1)", {"x": "x"}, np.argmax(x, axis=-1), EXACT)
case("argmin_flat", "argmin(x)", {"x": "x"}, np.argmin(x), EXACT, "flattened index, int64")
case("argmax_3d", "argmax(t, axis=1)", {"t": "t"}, np.argmax(t, axis=1), EXACT,
     "first occurrence of ties")
case("argmax_nan", "argmax(xn)", {"xn": "xn"}, np.argmax(xn), EXACT, "NaN wins")
case("argmin_keepdims", "argmin(t, axis=2, keepdims=true)", {"t": "t"},
     np.argmin(t, axis=2, keepdims=True), EXACT)
case("count_all", "count(x)", {"x": "x"}, np.int64(x.size), EXACT,
     "blaze rule: count = number of non-missing elements, int64 (no NumPy function)")
case("count_tuple", "count(t, axis=(0, 1))", {"t": "t"}, np.full((4,), 6, np.int64), EXACT,
     "blaze rule: count of non-missing elements")
case("sum_i32", "sum(ia)", {"ia": "ia"}, np.sum(ia), EXACT, "integer sums are int64")
case("sum_i32_axis", "sum(ia, axis=1)", {"ia": "ia"}, np.sum(ia, axis=1), EXACT)
case("sum_i8", "sum(i8)", {"i8": "i8"}, np.sum(i8), EXACT, "int64, no int8 overflow")
case("sum_u8", "sum(u8)", {"u8": "u8"}, np.sum(u8), EXACT, "unsigned sums are uint64")
case("prod_i32", "prod(ismall, axis=0)", {"ismall": "ismall"}, np.prod(ismall, axis=0), EXACT)
case("mean_i32", "mean(ia, axis=0)", {"ia": "ia"}, np.mean(ia, axis=0), F64)
case("var_i32", "var(ia)", {"ia": "ia"}, np.var(ia), F64)
case("min_i32", "min(ia, axis=1)", {"ia": "ia"}, np.min(ia, axis=1), EXACT)
case("sum_bool", "sum(ba, axis=0)", {"ba": "ba"}, np.sum(ba, axis=0), EXACT)
case("sum_f32", "sum(f32a, axis=1)", {"f32a": "f32a"}, np.sum(f32a, axis=1), F32)
case("mean_f32", "mean(f32a)", {"f32a": "f32a"}, np.mean(f32a), F32)
case("std_f32", "std(f32a, axis=0)", {"f32a": "f32a"}, np.std(f32a, axis=0), F32)
case("sum_c128", "sum(za)", {"za": "za"}, np.sum(za), F64)
case("mean_c128", "mean(za)", {"za": "za"}, np.mean(za), F64)
case("var_c128", "var(za)", {"za": "za"}, np.var(za), F64, "complex var is real")

# edge cases of reductions
ev = v8[5:2]
case("sum_empty", "sum(v8[5:2])", {"v8": "v8"}, np.sum(ev), EXACT, "empty sum is 0")
case("prod_empty", "prod(v8[5:2])", {"v8": "v8"}, np.prod(ev), EXACT, "empty product is 1")
case("mean_empty", "mean(v8[5:2])", {"v8": "v8"}, np.float64(np.nan), EXACT,
     "empty mean is NaN (NumPy warns)")
case("any_empty", "any(v8[5:2])", {"v8": "v8"}, np.any(ev), EXACT)
case("all_empty", "all(v8[5:2])", {"v8": "v8"}, np.all(ev), EXACT)
case("count_empty", "count(v8[5:2])", {"v8": "v8"}, np.int64(0), EXACT)
case("sum_empty_axis", "sum(x[:, 4:], axis=1)", {"x": "x"}, np.sum(x[:, 4:], axis=1), EXACT)
case("var_single", "var(x[:, 0:1], axis=1)", {"x": "x"}, np.var(x[:, 0:1], axis=1), EXACT)
case("max_bool", "max(ba, axis=0)", {"ba": "ba"}, np.max(ba, axis=0), EXACT)
case("prod_c128", "prod(za)", {"za": "za"}, np.prod(za), F64)
case("std_c128", "std(za)", {"za": "za"}, np.std(za), F64)
case("sum_i32_keepdims", "sum(ia, axis=0, keepdims=true)", {"ia": "ia"},
     np.sum(ia, axis=0, keepdims=True), EXACT)
case("argmax_ties", "argmax(d, axis=0)", {"d": "d"}, np.argmax(d, axis=0), EXACT)
case("nan_cmp", "xn < 1", {"xn": "xn"}, xn < 1, EXACT)
case("nan_ne", "xn != xn", {"xn": "xn"}, xn != xn, EXACT)
case("minimum_mixed", "minimum(ia, x)", {"ia": "ia", "x": "x"}, np.minimum(ia, x), EXACT)
case("arctan2_int", "arctan2(ia, ib)", {"ia": "ia", "ib": "ib"}, np.arctan2(ia, ib), F64)
case("pow_frac", "p ** -1.5", {"p": "p"}, p ** -1.5, F64)
case("cast_uint8_saturate", "cast(fbad, uint8)", {"fbad": "fbad"},
     np.array([0, 255, 0, 2, 0, 255, 0, 0], np.uint8), EXACT,
     "blaze rule: truncate toward zero, NaN gives 0, out of range saturates")
case("cast_f32_overflow", "cast(fbad * 1e300, float32)", {"fbad": "fbad"},
     (fbad * 1e300).astype(np.float32), EXACT, "float64 -> float32 overflows to inf")
case("cast_bool_f64", "ba.astype(float64)", {"ba": "ba"}, ba.astype(np.float64), EXACT)

# ------------------------------------------------------------------- shape

case("slice_neg_start", "x[-2:, ::-2]", {"x": "x"}, x[-2:, ::-2], EXACT)
case("transpose_default", "transpose(t)", {"t": "t"}, np.transpose(t), EXACT)
case("concat_varargs", "concat(x, d, axis=0)", {"x": "x", "d": "d"},
     np.concatenate((x, d), axis=0), EXACT)
case("stack_3", "stack(a3, b3, v3)", {"a3": "a3", "b3": "b3", "v3": "v3"},
     np.stack((a3, b3, v3)), EXACT)
case("index_bcast", "forall i, j: x[i, j] * row[j]", {"x": "x", "row": "row"}, x * row, F64)
case("slice_3d", "t[1:, ::2, 0]", {"t": "t"}, t[1:, ::2, 0], EXACT)
case("slice_reverse", "x[::-1]", {"x": "x"}, x[::-1], EXACT)
case("slice_ellipsis", "t[..., 0]", {"t": "t"}, t[..., 0], EXACT)
case("slice_ellipsis_mid", "t[0, ..., 1:3]", {"t": "t"}, t[0, ..., 1:3], EXACT)
case("slice_neg_step_bounds", "x[:, 3:0:-2]", {"x": "x"}, x[:, 3:0:-2], EXACT)
case("slice_neg_step_1d", "v8[6:1:-2]", {"v8": "v8"}, v8[6:1:-2], EXACT)
case("slice_neg_bounds", "v8[-2:-7:-1]", {"v8": "v8"}, v8[-2:-7:-1], EXACT)
case("slice_step3_rev", "v8[::-3]", {"v8": "v8"}, v8[::-3], EXACT)
case("slice_both_rev", "x[::-1, ::-1]", {"x": "x"}, x[::-1, ::-1], EXACT)
case("slice_clamped", "v8[-100:100:2]", {"v8": "v8"}, v8[-100:100:2], EXACT,
     "out-of-range bounds clamp")
case("slice_empty", "v8[5:2]", {"v8": "v8"}, v8[5:2], EXACT)
case("index_row", "x[1]", {"x": "x"}, x[1], EXACT)
case("index_neg", "x[-1, :]", {"x": "x"}, x[-1, :], EXACT)
case("index_scalar", "x[1, -2]", {"x": "x"}, x[1, -2], EXACT)
case("index_column", "t[:, 2]", {"t": "t"}, t[:, 2], EXACT)
case("transpose_T", "x.T", {"x": "x"}, x.T, EXACT)
case("transpose_T_3d", "t.T", {"t": "t"}, t.T, EXACT, "reverses every axis")
case("transpose_perm", "transpose(t, (1, 0, 2))", {"t": "t"}, np.transpose(t, (1, 0, 2)), EXACT)
case("transpose_perm2", "transpose(t, (2, 0, 1))", {"t": "t"}, np.transpose(t, (2, 0, 1)), EXACT)
case("reshape_2d", "reshape(x, (4, 3))", {"x": "x"}, np.reshape(x, (4, 3)), EXACT)
case("reshape_neg1", "reshape(t, (-1, 4))", {"t": "t"}, np.reshape(t, (-1, 4)), EXACT)
case("reshape_neg1_b", "reshape(t, (2, -1))", {"t": "t"}, np.reshape(t, (2, -1)), EXACT)
case("reshape_3d", "reshape(v8, (2, 2, 2))", {"v8": "v8"}, np.reshape(v8, (2, 2, 2)), EXACT)
case("reshape_flat", "reshape(x.T, (-1,))", {"x": "x"}, np.reshape(x.T, (-1,)), EXACT,
     "C order of the transposed view")
case("concat_axis0", "concat((x, y))", {"x": "x", "y": "y"}, np.concatenate((x, y)), EXACT)
case("concat_axis1", "concat((x, y), axis=1)", {"x": "x", "y": "y"},
     np.concatenate((x, y), axis=1), EXACT)
case("concat_axis_neg", "concat((x, d, y), axis=-1)", {"x": "x", "d": "d", "y": "y"},
     np.concatenate((x, d, y), axis=-1), EXACT)
case("concat_promote", "concat((ia, x))", {"ia": "ia", "x": "x"},
     np.concatenate((ia, x)), EXACT)
case("stack_axis0", "stack((x, y))", {"x": "x", "y": "y"}, np.stack((x, y)), EXACT)
case("stack_axis1", "stack((x, y), axis=1)", {"x": "x", "y": "y"}, np.stack((x, y), axis=1), EXACT)
case("stack_axis_neg", "stack((x, y), axis=-1)", {"x": "x", "y": "y"},
     np.stack((x, y), axis=-1), EXACT)

# ------------------------------------------------------------------ matmul

case("matmul_2d_2d", "m23 @ m34", {"m23": "m23", "m34": "m34"}, m23 @ m34, F64)
case("matmul_2d_1d", "m34 @ v4", {"m34": "m34", "v4": "v4"}, m34 @ v4, F64)
case("matmul_1d_2d", "v3 @ m34", {"v3": "v3", "m34": "m34"}, v3 @ m34, F64)
case("matmul_1d_1d", "v3 @ v3", {"v3": "v3"}, v3 @ v3, F64)
case("matmul_batched", "t234 @ t245", {"t234": "t234", "t245": "t245"}, t234 @ t245, F64)
case("matmul_batched_2d", "t234 @ m45", {"t234": "t234", "m45": "m45"}, t234 @ m45, F64)
case("matmul_T", "m34.T @ m23.T", {"m34": "m34", "m23": "m23"}, m34.T @ m23.T, F64)
case("matmul_int", "ia @ ib.T", {"ia": "ia", "ib": "ib"}, ia @ ib.T, EXACT)
case("matmul_3d_1d", "t234 @ v4", {"t234": "t234", "v4": "v4"}, t234 @ v4, F64)
case("matmul_1d_3d", "v4 @ t245", {"v4": "v4", "t245": "t245"}, v4 @ t245, F64)
case("matmul_bcast_batch", "t234 @ reshape(m45, (1, 4, 5))", {"t234": "t234", "m45": "m45"},
     t234 @ m45.reshape(1, 4, 5), F64)
case("bcast_col_3d", "col + t", {"col": "col", "t": "t"}, col + t, F64)
case("reshape_scalar", "reshape(s, (1, 1))", {"s": "s"}, np.reshape(s, (1, 1)), EXACT)
case("index_3d", "forall i, j, k: t[k, j, i] * 2", {"t": "t"}, np.transpose(t) * 2, EXACT)
case("index_sumsq", "forall i: sum(j: x[i, j] * x[i, j])", {"x": "x"},
     np.sum(x * x, axis=1), F64)
case("let_nested", "let m = mean(x, axis=0) in let c = x - m in sum(c * c, axis=0)",
     {"x": "x"}, np.sum((x - x.mean(axis=0)) ** 2, axis=0), F64)
case("dot_2d", "dot(m23, m34)", {"m23": "m23", "m34": "m34"}, np.dot(m23, m34), F64)
case("dot_1d", "dot(v3, a3)", {"v3": "v3", "a3": "a3"}, np.dot(v3, a3), F64)

# ---------------------------------------------------------- index notation

eps = np.zeros((3, 3, 3))
eps[0, 1, 2] = eps[1, 2, 0] = eps[2, 0, 1] = 1
eps[0, 2, 1] = eps[2, 1, 0] = eps[1, 0, 2] = -1
case("index_cross", "forall i: sum(j, k: eps[i, j, k] * a3[j] * b3[k])",
     {"a3": "a3", "b3": "b3"}, np.cross(a3, b3), F64)
case("index_mm", "forall i, j: sum(k: m23[i, k] * m34[k, j])",
     {"m23": "m23", "m34": "m34"}, m23 @ m34, F64)
case("index_trace", "sum(i: A[i, i])", {"A": "A"}, np.trace(A), F64)
case("index_outer", "forall i, j: a3[i] * v4[j]", {"a3": "a3", "v4": "v4"},
     np.outer(a3, v4), F64)
case("index_transpose", "forall i, j: x[j, i]", {"x": "x"}, x.T, EXACT)
case("index_rowsum", "forall i: sum(j: x[i, j])", {"x": "x"}, np.sum(x, axis=1), F64)
case("index_rowmax", "forall i: max(j: x[i, j])", {"x": "x"}, np.max(x, axis=1), EXACT)
case("index_colmin", "forall j: min(i: x[i, j])", {"x": "x"}, np.min(x, axis=0), EXACT)
case("index_prod", "forall i: prod(j: d[i, j])", {"d": "d"}, np.prod(d, axis=1), EXACT)
case("index_delta", "forall i, j: delta[i, j] * A[i, j]", {"A": "A"},
     np.diag(np.diag(A)), EXACT)
case("index_bilinear", "sum(i, j: a3[i] * m34[i, j] * v4[j])",
     {"a3": "a3", "m34": "m34", "v4": "v4"}, a3 @ m34 @ v4, F64)

# ---------------------------------------------------------- linear algebra

case("inv", "inv(A)", {"A": "A"}, np.linalg.inv(A), LA)
case("inv_roundtrip", "inv(A) @ A", {"A": "A"}, np.eye(4), "rtol=0 atol=1e-14")
case("solve_vec", "solve(A, b)", {"A": "A", "b": "b"}, np.linalg.solve(A, b), LA)
case("solve_mat", "solve(A, B)", {"A": "A", "B": "B"}, np.linalg.solve(A, B), LA)
case("det", "det(A)", {"A": "A"}, np.linalg.det(A), F64)
case("det_nonsym", "det(N)", {"N": "N"}, np.linalg.det(N), F64)
case("cholesky", "cholesky(S)", {"S": "S"}, np.linalg.cholesky(S), LA)
case("qr_tall", "qr(R)", {"R": "R"}, list(np.linalg.qr(R)), LA,
     "reduced QR with LAPACK's signs (Householder, R diagonal may be negative)")
case("qr_square", "qr(A)", {"A": "A"}, list(np.linalg.qr(A)), LA)
case("qr_index", "qr(R)[1]", {"R": "R"}, np.linalg.qr(R)[1], LA)
case("svd_tall", "svd(R)", {"R": "R"},
     [np.linalg.svd(R, compute_uv=False), R], "svd tol=1e-12",
     "singular vectors are unique only up to sign: check s and U diag(s) Vh = A")
case("svd_square", "svd(A)", {"A": "A"},
     [np.linalg.svd(A, compute_uv=False), A], "svd tol=1e-12")
case("svd_wide", "svd(R.T)", {"R": "R"},
     [np.linalg.svd(R.T, compute_uv=False), R.T], "svd tol=1e-12")
case("eig_complex", "eig(N)", {"N": "N"},
     [np.sort_complex(np.linalg.eigvals(N)), N], "eig tol=1e-12",
     "real matrix with complex eigenvalues; order and phase of vectors are not unique")
w_s = np.linalg.eigvals(S)
case("eig_symmetric", "eig(S)", {"S": "S"},
     [np.sort_complex(w_s.astype(np.complex128)), S], "eig tol=1e-12",
     "blaze rule: eig of a real matrix is always complex; NumPy returns float64 "
     "when every eigenvalue is real")
case("eigh", "eigh(S)", {"S": "S"}, [np.linalg.eigh(S)[0], S], "eigh tol=1e-12",
     "ascending eigenvalues; eigenvectors checked by A v = lambda v and orthonormality")
case("eigvals_h", "eigh(S)[0]", {"S": "S"}, np.linalg.eigvalsh(S), LA)
case("lstsq_vec", "lstsq(R, rb)", {"R": "R", "rb": "rb"},
     np.linalg.lstsq(R, rb, rcond=None)[0], LA)
case("lstsq_mat", "lstsq(R, RB)", {"R": "R", "RB": "RB"},
     np.linalg.lstsq(R, RB, rcond=None)[0], LA)
case("norm_vec", "norm(b)", {"b": "b"}, np.linalg.norm(b), F64)
case("norm_mat", "norm(A)", {"A": "A"}, np.linalg.norm(A), F64, "Frobenius")
case("trace", "trace(A)", {"A": "A"}, np.trace(A), F64)
case("trace_int", "trace(ia[:, 0:3])", {"ia": "ia"}, np.float64(np.trace(ia[:, 0:3])), EXACT,
     "blaze rule (docs/LANGUAGE.md 2.4): linear algebra computes in float64 for "
     "integers; NumPy's trace of int32 is int64")
case("det_int", "det(ismall[:, 0:3])", {"ismall": "ismall"},
     np.linalg.det(ismall[:, 0:3].astype(np.float64)), "rtol=1e-12 atol=1e-13",
     "integers become float64; the determinant of small integers is an integer up to rounding")
# complex linear algebra
case("inv_c128", "inv(ZA)", {"ZA": "ZA"}, np.linalg.inv(ZA), LA)
case("det_c128", "det(ZA)", {"ZA": "ZA"}, np.linalg.det(ZA), F64)
case("solve_c128", "solve(ZA, zv)", {"ZA": "ZA", "zv": "zv"}, np.linalg.solve(ZA, zv), LA)
case("cholesky_c128", "cholesky(ZH)", {"ZH": "ZH"}, np.linalg.cholesky(ZH), LA)
case("qr_c128", "qr(ZA)", {"ZA": "ZA"}, list(np.linalg.qr(ZA)), LA,
     "LAPACK zgeqrf convention: real diagonal of R")
case("svd_c128", "svd(ZA)", {"ZA": "ZA"},
     [np.linalg.svd(ZA, compute_uv=False), ZA], "svd tol=1e-12")
case("eig_c128", "eig(ZA)", {"ZA": "ZA"},
     [np.sort_complex(np.linalg.eigvals(ZA)), ZA], "eig tol=1e-12")
case("eigh_c128", "eigh(ZH)", {"ZH": "ZH"}, [np.linalg.eigvalsh(ZH), ZH], "eigh tol=1e-12",
     "Hermitian: real ascending values, complex vectors")
case("norm_c128", "norm(zv)", {"zv": "zv"}, np.linalg.norm(zv), F64, "real result")
case("lstsq_c128", "lstsq(ZR, zr)", {"ZR": "ZR", "zr": "zr"},
     np.linalg.lstsq(ZR, zr, rcond=None)[0], LA)
case("matmul_c128", "za @ zb", {"za": "za", "zb": "zb"}, za @ zb, F64, "no conjugation")
case("matmul_c128_2d", "ZA @ ZH", {"ZA": "ZA", "ZH": "ZH"}, ZA @ ZH, F64)
case("trace_c128", "trace(ZA)", {"ZA": "ZA"}, np.trace(ZA), F64)

# ------------------------------------------------------------------ tuples

case("tuple_stats", "(mean(x), std(x))", {"x": "x"}, [np.mean(x), np.std(x)], F64)
case("tuple_mixed", "(sum(ia, axis=0), x.T, ba)", {"ia": "ia", "x": "x", "ba": "ba"},
     [np.sum(ia, axis=0), x.T, ba], EXACT)

# -------------------------------------------- the modules of LANGUAGE.md 2.1

case("mod_axpy", "module:axpy", {"a": "alpha", "x": "n5", "y": "rb"}, alpha * n5 + rb, F64)
case("mod_gram", "module:gram", {"A": "X53"}, X53.T @ X53, F64)
case("mod_norms", "module:norms", {"X": "X53"}, np.sqrt(np.sum(X53 * X53, axis=1)), F64)
case("mod_center", "module:center", {"X": "X53"}, X53 - np.mean(X53, axis=0), F64)
case("mod_cross", "module:cross", {"a": "a3", "b": "b3"}, np.cross(a3, b3), F64)
case("mod_mm", "module:mm", {"A": "m34", "B": "m45"}, m34 @ m45, F64)
sym = X44 + X44.T
case("mod_spectrum", "module:spectrum", {"X": "X44"},
     [np.sort_complex(np.linalg.eigvals(sym).astype(np.complex128)), sym], "eig tol=1e-12",
     "eig(X + X.T): the second expected file is the matrix the residuals are checked against")
case("mod_stats", "module:stats", {"x": "n5"}, [np.mean(n5), np.std(n5)], F64)
# prices takes a record array (N * Stock); .npy fixtures hold no records, so it
# is only type-checked (the `typecheck` mode), not evaluated.
case("mod_prices", "module:prices", {}, [], "typecheck",
     "records cannot be given as .npy inputs: type-checked only")


# ----------------------------------------------------------------- writing

def main():
    for directory in (INPUTS, EXPECTED):
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory)
    for name, arr in sorted(inputs.items()):
        np.save(os.path.join(INPUTS, name + ".npy"), arr)
    lines = [
        "# Interpreter fixture cases, written by make_fixtures.py (do not edit by hand).",
        "#",
        "# One case a line, five fields separated by ' | ':",
        "#   name | source | inputs | expected | mode",
        "# source:   a blaze expression, or module:DEF for a definition of examples.blz",
        "# inputs:   PARAM=FILE pairs separated by spaces (files relative to this",
        "#           directory); in expression mode each input's type is its .npy",
        "#           array's shape (fixed dims) and dtype; '-' for none",
        "# expected: the expected .npy files separated by spaces, one per element of",
        "#           a tuple result; '-' for none",
        "# mode:     how to compare",
        "#   exact           same dtype and shape, equal elements (NaN equals NaN)",
        "#   rtol=R [atol=A] same dtype and shape, |actual - expected| <= A + R*|expected|",
        "#                   elementwise (complex: modulus of the difference)",
        "#   nrtol=R         same dtype and shape, |actual - expected| <= R * max|expected|",
        "#                   (linear algebra: near-zero entries are rounding noise)",
        "#   svd tol=T       expected = singular values, A: the result (U, s, Vh) has",
        "#                   s equal to NumPy's (nrtol T), U diag(s) Vh = A, U and Vh",
        "#                   orthonormal (all relative to |A|, tolerance T)",
        "#   eig tol=T       expected = eigenvalues, A: the eigenvalues match NumPy's",
        "#                   as a multiset (relative to max|lambda|), every vector has",
        "#                   unit norm and |A v - lambda v| <= T |A|",
        "#   eigh tol=T      as eig, eigenvalues real and ascending (compared in order),",
        "#                   and the vectors orthonormal",
        "#   typecheck       only compiled, not evaluated",
        "# A trailing '# ...' note says why a case is there or which blaze rule",
        "# changed NumPy's answer.",
        "#",
        "# Tolerances: float64 rtol=1e-12; float32 rtol=1e-6 (~8 ulp: NumPy's SIMD",
        "# float32 transcendentals are a few ulp off libm); float16 rtol=1e-3 (one",
        "# float16 rounding); linear algebra nrtol=1e-12 / tol=1e-12.",
        "",
    ]
    for name, source, args, expected, mode, note in cases:
        assert "|" not in source, name
        files = []
        if len(expected) == 1:
            files.append(f"expected/{name}.npy")
        else:
            files += [f"expected/{name}_{i}.npy" for i in range(len(expected))]
        for f, arr in zip(files, expected):
            np.save(os.path.join(HERE, f), np.array(arr, order="C", copy=True))
        ins = " ".join(f"{k}=inputs/{v}.npy" for k, v in args.items()) or "-"
        outs = " ".join(files) or "-"
        line = f"{name} | {source} | {ins} | {outs} | {mode}"
        if note:
            line += f"  # {note}"
        lines.append(line)
    with open(os.path.join(HERE, "cases.txt"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    total = 0
    for root, _, names in os.walk(HERE):
        total += sum(os.path.getsize(os.path.join(root, n)) for n in names)
    print(f"{len(cases)} cases, {len(inputs)} inputs, {total} bytes under {HERE}")


if __name__ == "__main__":
    main()
