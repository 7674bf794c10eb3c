/* Outputs in the caller's memory through the C ABI: blaze_kernel_call
 * writes where the output tensor points (strides, negative ones and
 * byte_offset honoured, nothing written between its elements); an output
 * that shares memory with an input (the input itself, a shifted or a
 * reversed view of it) gets NumPy's `out=` result, every input read before
 * the output is written; a failed call writes nothing; results that are
 * not elementwise (a reduction, a matrix product) are copied in once;
 * blaze_kernel_call_alloc hands over blaze's memory, freed by the deleter
 * (valgrind checks that nothing leaks).
 *
 * Usage: test_inplace [N]   (N elements, default 100000) */
#include <math.h>
#include <stdint.h>

#include "check.h"

static int close_to(double got, double want) {
    return fabs(got - want) <= 1e-14 * fabs(want) + 1e-300;
}

static const double A = 2.5;

static double f(double x, double y) { return A * x + y; }

/* `a*x + y` with the output a view with `stride` (elements) and
 * `offset` (elements, through byte_offset) into a buffer of 3n + 2, the
 * rest of which must keep its sentinel. */
static void strided_output(BlazeKernel *k, const double *x, const double *y, int64_t n,
                           int64_t stride, int64_t offset) {
    int64_t len = 3 * n + 2;
    double *buf = malloc(sizeof(double) * (size_t)len);
    CHECK(buf != NULL, "out of memory");
    for (int64_t i = 0; i < len; i++) buf[i] = -7.0;
    double a = A;
    int64_t shape[1] = {n}, strides[1] = {stride};
    DLTensor ta = tensor_scalar(&a, kDLFloat, 64);
    DLTensor tx = tensor_f64((double *)x, shape), ty = tensor_f64((double *)y, shape);
    DLTensor to = tensor_f64(buf, shape);
    to.strides = strides;
    to.byte_offset = sizeof(double) * (uint64_t)offset;
    const DLTensor *ins[3] = {&ta, &tx, &ty};
    DLTensor *outs[1] = {&to};
    OK(blaze_kernel_call(k, ins, 3, outs, 1));
    int64_t written = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t at = offset + i * stride;
        CHECK(close_to(buf[at], f(x[i], y[i])), "stride %lld, offset %lld: out[%lld] = %.17g",
              (long long)stride, (long long)offset, (long long)i, buf[at]);
        written++;
    }
    for (int64_t i = 0; i < len; i++) {
        int64_t d = i - offset;
        int hit = (stride != 0 && d % stride == 0 && d / stride >= 0 && d / stride < n);
        if (!hit) CHECK(buf[i] == -7.0, "stride %lld: wrote element %lld outside the output",
                        (long long)stride, (long long)i);
    }
    CHECK(written == n, "wrote %lld of %lld", (long long)written, (long long)n);
    free(buf);
}

/* `a*x + y` where x is buf[xoff + i*xstride] and the output
 * buf[ooff + i*ostride]: both views of one buffer. */
static void overlapping(BlazeKernel *k, const double *y, int64_t n, int64_t xoff,
                        int64_t xstride, int64_t ooff, int64_t ostride, const char *what) {
    int64_t len = n + 1;
    double *buf = malloc(sizeof(double) * (size_t)len), *orig = malloc(sizeof(double) * (size_t)len);
    CHECK(buf && orig, "out of memory");
    for (int64_t i = 0; i < len; i++) buf[i] = orig[i] = 0.25 * (double)i - 3.0;
    double a = A;
    int64_t shape[1] = {n}, xs[1] = {xstride}, os[1] = {ostride};
    DLTensor ta = tensor_scalar(&a, kDLFloat, 64);
    DLTensor tx = tensor_f64(buf, shape), ty = tensor_f64((double *)y, shape);
    tx.strides = xs;
    tx.byte_offset = sizeof(double) * (uint64_t)xoff;
    DLTensor to = tensor_f64(buf, shape);
    to.strides = os;
    to.byte_offset = sizeof(double) * (uint64_t)ooff;
    const DLTensor *ins[3] = {&ta, &tx, &ty};
    DLTensor *outs[1] = {&to};
    OK(blaze_kernel_call(k, ins, 3, outs, 1));
    for (int64_t i = 0; i < n; i++) {
        double want = f(orig[xoff + i * xstride], y[i]);
        double got = buf[ooff + i * ostride];
        CHECK(close_to(got, want), "%s: out[%lld] = %.17g, want %.17g", what, (long long)i, got,
              want);
    }
    free(buf);
    free(orig);
}

static void test_axpy(BlazeContext *ctx, int64_t n) {
    const char *names[3] = {"a", "x", "y"};
    const char *types[3] = {"float64", "N * float64", "N * float64"};
    BlazeKernel *k = NULL;
    OK(blaze_compile_expr(ctx, "a * x + y", names, types, 3, &k));
    double *x = malloc(sizeof(double) * (size_t)n), *y = malloc(sizeof(double) * (size_t)n);
    CHECK(x && y, "out of memory");
    for (int64_t i = 0; i < n; i++) {
        x[i] = 0.5 * (double)i;
        y[i] = 1.0 - (double)(i % 7);
    }
    /* Contiguous, strided, strided with an offset, reversed. */
    strided_output(k, x, y, n, 1, 0);
    strided_output(k, x, y, n, 3, 1);
    strided_output(k, x, y, n, 2, 2);
    strided_output(k, x, y, n, -3, 3 * (n - 1) + 1);

    /* The output overlaps input x: x itself, x shifted by one either way,
     * x reversed. */
    overlapping(k, y, n, 0, 1, 0, 1, "out = x");
    overlapping(k, y, n, 0, 1, 1, 1, "out = x shifted right");
    overlapping(k, y, n, 1, 1, 0, 1, "out = x shifted left");
    overlapping(k, y, n, 0, 1, n - 1, -1, "out = x reversed");

    /* Errors before anything is written: a wrong length, and an output
     * that reaches one element twice. */
    double *out = malloc(sizeof(double) * (size_t)n);
    CHECK(out != NULL, "out of memory");
    for (int64_t i = 0; i < n; i++) out[i] = -7.0;
    double a = A;
    int64_t shape[1] = {n}, short_shape[1] = {n - 1}, zero[1] = {0};
    DLTensor ta = tensor_scalar(&a, kDLFloat, 64);
    DLTensor tx = tensor_f64(x, shape), ty = tensor_f64(y, shape);
    const DLTensor *ins[3] = {&ta, &tx, &ty};
    DLTensor bad = tensor_f64(out, short_shape);
    DLTensor *bad_outs[1] = {&bad};
    CHECK(blaze_kernel_call(k, ins, 3, bad_outs, 1) == BLAZE_ERR_SHAPE, "a short output: %s",
          blaze_last_error_message());
    DLTensor dup = tensor_f64(out, shape);
    dup.strides = zero;
    DLTensor *dup_outs[1] = {&dup};
    CHECK(blaze_kernel_call(k, ins, 3, dup_outs, 1) == BLAZE_ERR_SHAPE, "stride 0: %s",
          blaze_last_error_message());
    CHECK(strstr(blaze_last_error_message(), "overlap") != NULL, "%s", blaze_last_error_message());
    for (int64_t i = 0; i < n; i++) CHECK(out[i] == -7.0, "a failed call wrote out[%lld]", (long long)i);

    /* blaze's memory handed over: the values, compact strides, freed by
     * the deleter and by blaze_tensor_free (a second free is an error). */
    DLManagedTensor *m = NULL;
    OK(blaze_kernel_call_alloc(k, ins, 3, &m, 1));
    CHECK(m->dl_tensor.ndim == 1 && m->dl_tensor.shape[0] == n && m->dl_tensor.strides[0] == 1,
          "managed layout");
    const double *md = (const double *)((const char *)m->dl_tensor.data + m->dl_tensor.byte_offset);
    for (int64_t i = 0; i < n; i++) CHECK(md[i] == f(x[i], y[i]), "managed[%lld]", (long long)i);
    m->deleter(m);
    OK(blaze_kernel_call_alloc(k, ins, 3, &m, 1));
    OK(blaze_tensor_free(m));
    CHECK(blaze_tensor_free(m) == BLAZE_ERR_INVALID_HANDLE, "second free: %s",
          blaze_last_error_message());
    free(out);
    free(x);
    free(y);
    OK(blaze_kernel_free(k));
}

/* Results that are not one elementwise kernel are copied into the output
 * once: a reduction into a reversed output with an offset, a product into
 * a transposed (column-major) output, a bool result into a strided one. */
static void test_other_roots(BlazeContext *ctx) {
    const char *names[1] = {"X"};
    const char *types[1] = {"N * M * float64"};
    double X[12];
    for (int i = 0; i < 12; i++) X[i] = (double)(i * i % 7) - 2.0;
    int64_t xshape[2] = {4, 3};
    DLTensor tX = tensor_f64(X, xshape);
    tX.ndim = 2;
    const DLTensor *ins[1] = {&tX};

    BlazeKernel *sum = NULL;
    OK(blaze_compile_expr(ctx, "sum(X * X, axis=1)", names, types, 1, &sum));
    double out[6];
    for (int i = 0; i < 6; i++) out[i] = -7.0;
    int64_t oshape[1] = {4}, ostr[1] = {-1};
    DLTensor to = tensor_f64(out, oshape);
    to.strides = ostr;
    to.byte_offset = sizeof(double) * 4; /* out[4], out[3], out[2], out[1] */
    DLTensor *outs[1] = {&to};
    OK(blaze_kernel_call(sum, ins, 1, outs, 1));
    for (int r = 0; r < 4; r++) {
        double want = 0;
        for (int c = 0; c < 3; c++) want += X[3 * r + c] * X[3 * r + c];
        CHECK(out[4 - r] == want, "sum row %d: %g, want %g", r, out[4 - r], want);
    }
    CHECK(out[0] == -7.0 && out[5] == -7.0, "the reduction wrote outside its output");
    OK(blaze_kernel_free(sum));

    BlazeKernel *gram = NULL;
    OK(blaze_compile_expr(ctx, "X.T @ X", names, types, 1, &gram));
    double g[9];
    int64_t gshape[2] = {3, 3}, gstr[2] = {1, 3};
    DLTensor tg = tensor_f64(g, gshape);
    tg.ndim = 2;
    tg.strides = gstr;
    DLTensor *gouts[1] = {&tg};
    OK(blaze_kernel_call(gram, ins, 1, gouts, 1));
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double want = 0;
            for (int r = 0; r < 4; r++) want += X[3 * r + i] * X[3 * r + j];
            CHECK(close_to(g[i + 3 * j], want), "gram[%d][%d] = %g, want %g", i, j, g[i + 3 * j],
                  want);
        }
    OK(blaze_kernel_free(gram));

    const char *pnames[1] = {"x"};
    const char *ptypes[1] = {"N * float64"};
    BlazeKernel *pos = NULL;
    OK(blaze_compile_expr(ctx, "x > 0.0", pnames, ptypes, 1, &pos));
    int64_t n12[1] = {12}, bstr[1] = {2};
    DLTensor tx = tensor_f64(X, n12);
    const DLTensor *pins[1] = {&tx};
    uint8_t flags[24];
    memset(flags, 7, sizeof flags);
    DLTensor tb = tensor_scalar(flags, kDLBool, 8);
    tb.ndim = 1;
    tb.shape = n12;
    tb.strides = bstr;
    DLTensor *bouts[1] = {&tb};
    OK(blaze_kernel_call(pos, pins, 1, bouts, 1));
    for (int i = 0; i < 12; i++) {
        CHECK(flags[2 * i] == (X[i] > 0.0), "flag %d = %d", i, flags[2 * i]);
        CHECK(flags[2 * i + 1] == 7, "wrote between flags at %d", i);
    }
    DLManagedTensor *m = NULL;
    OK(blaze_kernel_call_alloc(pos, pins, 1, &m, 1));
    CHECK(m->dl_tensor.dtype.code == kDLBool && m->dl_tensor.dtype.bits == 8, "bool dtype");
    const uint8_t *mb = (const uint8_t *)m->dl_tensor.data;
    for (int i = 0; i < 12; i++) CHECK(mb[i] == (X[i] > 0.0), "managed flag %d = %d", i, mb[i]);
    m->deleter(m);
    OK(blaze_kernel_free(pos));
}

int main(int argc, char **argv) {
    int64_t n = argc > 1 ? atoll(argv[1]) : 100000;
    CHECK(n >= 2, "N must be at least 2");
    BlazeContext *ctx = NULL;
    OK(blaze_context_create(&ctx));
    test_axpy(ctx, n);
    test_other_roots(ctx);
    OK(blaze_context_free(ctx));
    printf("test_inplace: all passed\n");
    return 0;
}
