/* Ahead-of-time kernels: `blaze build tests/c/aot_kernels.blz` made the
 * object and `aot_kernels.h`; this program links only them and libm — no
 * blaze library, no JIT. Each function is called correctly (axpy on N
 * doubles) and with bad arguments, which return a status and a message.
 *
 * Usage: test_aot [N]   (default 1000000) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aot_kernels.h"

#define CHECK(cond, ...)                                                                \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);    \
            fprintf(stderr, __VA_ARGS__);                                               \
            fprintf(stderr, "\n");                                                      \
            exit(1);                                                                    \
        }                                                                               \
    } while (0)

static int bad_cases = 0;

#define BAD(call, want, needle)                                                         \
    do {                                                                                \
        int32_t s_ = (call);                                                            \
        const char *m_ = blaze_aot_last_error();                                        \
        CHECK(s_ == (want), "%s returned %d, want %d (%s)", #call, s_, (want),          \
              m_ ? m_ : "no message");                                                  \
        CHECK(m_ && strstr(m_, (needle)), "message of %s: %s", #call, m_ ? m_ : "none"); \
        printf("bad call %2d: %d %s\n", ++bad_cases, s_, m_);                           \
    } while (0)

static DLTensor tensor(void *data, int ndim, int64_t *shape, uint8_t code, uint8_t bits) {
    DLTensor t;
    memset(&t, 0, sizeof t);
    t.data = data;
    t.device.device_type = kDLCPU;
    t.ndim = ndim;
    t.dtype.code = code;
    t.dtype.bits = bits;
    t.dtype.lanes = 1;
    t.shape = shape;
    return t;
}

int main(int argc, char **argv) {
    int64_t n = argc > 1 ? atoll(argv[1]) : 1000000;
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y), *out = malloc(n * sizeof *out);
    CHECK(x && y && out, "out of memory");
    for (int64_t i = 0; i < n; i++) {
        x[i] = 0.25 * (double)i;
        y[i] = (double)(i % 13) - 6.0;
    }
    int64_t shape[1] = {n};
    DLTensor tx = tensor(x, 1, shape, kDLFloat, 64), ty = tensor(y, 1, shape, kDLFloat, 64),
             to = tensor(out, 1, shape, kDLFloat, 64);
    CHECK(axpy(1.5, &tx, &ty, &to) == BLAZE_OK, "axpy: %s", blaze_aot_last_error());
    for (int64_t i = 0; i < n; i++)
        CHECK(fabs(out[i] - (1.5 * x[i] + y[i])) <= 1e-14 * fabs(1.5 * x[i] + y[i]),
              "axpy[%lld] = %.17g", (long long)i, out[i]);
    printf("aot axpy on %lld doubles: ok\n", (long long)n);

    /* Strided: every other x, backwards; out every other element. */
    int64_t half[1] = {n / 2}, back[1] = {-2}, two[1] = {2};
    DLTensor sx = tensor(x, 1, half, kDLFloat, 64), sy = tensor(y, 1, half, kDLFloat, 64),
             so = tensor(out, 1, half, kDLFloat, 64);
    sx.strides = back;
    sx.byte_offset = sizeof(double) * (uint64_t)(2 * (n / 2 - 1));
    so.strides = two;
    CHECK(axpy(-1.0, &sx, &sy, &so) == BLAZE_OK, "strided axpy: %s", blaze_aot_last_error());
    for (int64_t i = 0; i < n / 2; i++)
        CHECK(out[2 * i] == -x[2 * (n / 2 - 1 - i)] + y[i], "strided [%lld]", (long long)i);

    /* float32 math with a scalar parameter. */
    float t[5] = {0.0f, 0.5f, 1.0f, 2.0f, -3.0f}, w[5];
    int64_t s5[1] = {5};
    DLTensor tt = tensor(t, 1, s5, kDLFloat, 32), tw = tensor(w, 1, s5, kDLFloat, 32);
    CHECK(wave(&tt, 2.0f, &tw) == BLAZE_OK, "wave: %s", blaze_aot_last_error());
    for (int i = 0; i < 5; i++) CHECK(fabsf(w[i] - (sinf(t[i] * 2.0f) + 1.0f)) < 1e-6f, "wave[%d]", i);

    /* 2-d int32 with broadcasting of a scalar; in place. */
    int32_t m[2][3] = {{-5, 0, 7}, {3, -1, 2}};
    int64_t s23[2] = {2, 3};
    DLTensor tm = tensor(m, 2, s23, kDLInt, 32);
    CHECK(clip(&tm, 1, &tm) == BLAZE_OK, "clip: %s", blaze_aot_last_error());
    int32_t want[2][3] = {{1, 1, 7}, {3, 1, 2}};
    CHECK(memcmp(m, want, sizeof m) == 0, "clip in place: %d %d %d %d %d %d", m[0][0], m[0][1],
          m[0][2], m[1][0], m[1][1], m[1][2]);

    /* Broadcasting a length-1 axis: rows scaled by a column. */
    double X[2][3] = {{1, 2, 3}, {4, 5, 6}}, col[2] = {10, -1}, R[2][3];
    int64_t s21[2] = {2, 1};
    DLTensor tX = tensor(X, 2, s23, kDLFloat, 64), tc = tensor(col, 2, s21, kDLFloat, 64),
             tR = tensor(R, 2, s23, kDLFloat, 64);
    CHECK(scale_rows(&tX, &tc, &tR) == BLAZE_OK, "scale_rows: %s", blaze_aot_last_error());
    CHECK(R[0][2] == 30 && R[1][0] == -4, "scale_rows: %g %g", R[0][2], R[1][0]);

    /* Bad calls. */
    DLTensor bad;
    BAD(axpy(1.0, NULL, &ty, &to), BLAZE_ERR_NULL_POINTER, "`x` is NULL");
    bad = tx;
    bad.dtype.bits = 32;
    BAD(axpy(1.0, &bad, &ty, &to), BLAZE_ERR_DTYPE, "`x` is not float64");
    bad = tx;
    bad.ndim = 2;
    BAD(axpy(1.0, &bad, &ty, &to), BLAZE_ERR_SHAPE, "ndim 1");
    int64_t shorter[1] = {n - 1}, neg[1] = {-1};
    bad = ty;
    bad.shape = shorter;
    BAD(axpy(1.0, &tx, &bad, &to), BLAZE_ERR_SHAPE, "`N`");
    bad = tx;
    bad.shape = neg;
    BAD(axpy(1.0, &bad, &ty, &to), BLAZE_ERR_SHAPE, "negative length");
    bad = tx;
    bad.device.device_type = kDLCUDA;
    BAD(axpy(1.0, &bad, &ty, &to), BLAZE_ERR_DEVICE, "host memory");
    bad = tx;
    bad.byte_offset = 3;
    BAD(axpy(1.0, &bad, &ty, &to), BLAZE_ERR_ALIGNMENT, "aligned");
    bad = tx;
    bad.data = NULL;
    BAD(axpy(1.0, &bad, &ty, &to), BLAZE_ERR_NULL_POINTER, "data is NULL");
    bad = to;
    bad.shape = shorter;
    BAD(axpy(1.0, &tx, &ty, &bad), BLAZE_ERR_SHAPE, "`out` does not have the result's length");
    int64_t zero[1] = {0};
    bad = to;
    bad.strides = zero;
    BAD(axpy(1.0, &tx, &ty, &bad), BLAZE_ERR_SHAPE, "overlap");
    int64_t s33[2] = {3, 3};
    bad = tc;
    bad.shape = s33;
    BAD(scale_rows(&tX, &bad, &tR), BLAZE_ERR_SHAPE, "`M`");
    int64_t s22[2] = {2, 2};
    bad = tc;
    bad.shape = s22;
    BAD(scale_rows(&tX, &bad, &tR), BLAZE_ERR_SHAPE, "must have length 1 on axis 1");
    bad = tm;
    BAD(clip(&bad, 0, NULL), BLAZE_ERR_NULL_POINTER, "`out` is NULL");

    free(x);
    free(y);
    free(out);
    printf("aot bad calls rejected: %d\ntest_aot: all passed\n", bad_cases);
    return 0;
}
