/* Bad calls over the C ABI: each must return the expected non-zero status,
 * leave the same status and a message naming the problem as the thread's
 * last error, and change nothing else. Prints one line per case and the
 * count at the end. */
#include <stdint.h>

#include "check.h"

static int cases = 0;

/* `call` must fail with `want`, and the message must contain `needle`. */
#define BAD(call, want, needle)                                                          \
    do {                                                                                 \
        BlazeStatus s_ = (call);                                                         \
        const char *m_ = blaze_last_error_message();                                     \
        CHECK(s_ == (want), "%s returned %s, want %s (message: %s)", #call,              \
              blaze_status_name(s_), blaze_status_name(want), m_);                       \
        CHECK(blaze_last_error_code() == (want), "last error code of %s", #call);        \
        CHECK(m_ != NULL && strstr(m_, (needle)) != NULL,                                \
              "message of %s lacks \"%s\": %s", #call, (needle), m_);                    \
        cases++;                                                                         \
        const char *nl_ = strchr(m_, '\n');                                              \
        printf("bad call %2d: %-26s %.*s\n", cases, blaze_status_name(s_),               \
               nl_ ? (int)(nl_ - m_) : (int)strlen(m_), m_);                             \
    } while (0)

static const char *SRC =
    "def axpy(a: float64, x: N * float64, y: N * float64) = a * x + y\n"
    "def cross(a: 3 * float64, b: 3 * float64) = forall i: sum(j, k: eps[i, j, k] * a[j] * b[k])\n";

int main(void) {
    BlazeContext *ctx = NULL;
    BlazeModule *m = NULL;
    BlazeKernel *k = NULL, *cross = NULL;

    /* Handles and strings. */
    BAD(blaze_context_create(NULL), BLAZE_ERR_NULL_POINTER, "out is NULL");
    OK(blaze_context_create(&ctx));
    BAD(blaze_context_set_engine(ctx, 7), BLAZE_ERR_INVALID_ARGUMENT, "engine 7");
    BAD(blaze_compile(ctx, NULL, &m), BLAZE_ERR_NULL_POINTER, "source is NULL");
    BAD(blaze_compile(NULL, SRC, &m), BLAZE_ERR_NULL_POINTER, "context handle is NULL");
    CHECK(m == NULL, "out set on failure");
    BAD(blaze_compile(ctx, "def f(x: N * float64) = x +* 2", &m), BLAZE_ERR_COMPILE, "^");
    BAD(blaze_compile(ctx, "def f(x: 3 * float64, y: 4 * float64) = x + y", &m),
        BLAZE_ERR_COMPILE, "cannot broadcast");
    BAD(blaze_compile(ctx, "def f(x: N * float64) = \xff", &m), BLAZE_ERR_INVALID_ARGUMENT,
        "not UTF-8");
    {
        const char *names[2] = {"a", "b"};
        const char *types[2] = {"N * float64", "N ** float64"};
        BAD(blaze_compile_expr(ctx, "a + b", names, types, 2, &k), BLAZE_ERR_DATASHAPE,
            "argument `b`");
        BAD(blaze_compile_expr(ctx, "a + b", NULL, types, 2, &k), BLAZE_ERR_NULL_POINTER,
            "names is NULL");
        const char *dup[2] = {"a", "a"};
        const char *ok_types[2] = {"N * float64", "N * float64"};
        BAD(blaze_compile_expr(ctx, "a + a", dup, ok_types, 2, &k), BLAZE_ERR_INVALID_ARGUMENT,
            "named twice");
        BAD(blaze_compile_expr(ctx, "a + c", names, ok_types, 2, &k), BLAZE_ERR_COMPILE, "c");
    }
    OK(blaze_compile(ctx, SRC, &m));
    BAD(blaze_module_kernel(m, "axpby", &k), BLAZE_ERR_NOT_FOUND, "no definition `axpby`");
    BAD(blaze_module_kernel_name(m, 2, &(const char *){NULL}), BLAZE_ERR_INVALID_ARGUMENT,
        "out of range");
    OK(blaze_module_kernel(m, "axpy", &k));
    OK(blaze_module_kernel(m, "cross", &cross));
    BAD(blaze_kernel_num_params((const BlazeKernel *)m, &(size_t){0}),
        BLAZE_ERR_INVALID_HANDLE, "is a module, not a kernel");
    BAD(blaze_kernel_num_params((const BlazeKernel *)&cases, &(size_t){0}),
        BLAZE_ERR_INVALID_HANDLE, "not a live kernel handle");
    BAD(blaze_kernel_signature(k, NULL), BLAZE_ERR_NULL_POINTER, "signature is NULL");
    BAD(blaze_kernel_param(k, 3, NULL, NULL), BLAZE_ERR_INVALID_ARGUMENT, "has 3 parameters");

    /* Tensors. */
    enum { N = 64 };
    double xbuf[N + 1], ybuf[N], obuf[N], a = 2.0;
    for (int i = 0; i < N; i++) xbuf[i] = ybuf[i] = i, obuf[i] = -1;
    int64_t shape[1] = {N}, shape3[1] = {3};
    DLTensor ta = tensor_scalar(&a, kDLFloat, 64);
    DLTensor tx = tensor_f64(xbuf, shape), ty = tensor_f64(ybuf, shape), to = tensor_f64(obuf, shape);
    const DLTensor *ins[3] = {&ta, &tx, &ty};
    DLTensor *outs[1] = {&to};
    OK(blaze_kernel_call(k, ins, 3, outs, 1));
    CHECK(obuf[5] == 15.0, "axpy works: %g", obuf[5]);
    for (int i = 0; i < N; i++) obuf[i] = -1;

    BAD(blaze_kernel_call(k, ins, 2, outs, 1), BLAZE_ERR_INVALID_ARGUMENT, "takes 3 inputs");
    BAD(blaze_kernel_call(k, NULL, 3, outs, 1), BLAZE_ERR_NULL_POINTER, "inputs array is NULL");
    BAD(blaze_kernel_call(k, ins, 3, NULL, 1), BLAZE_ERR_NULL_POINTER, "outputs array is NULL");
    BAD(blaze_kernel_call(k, ins, 3, outs, 2), BLAZE_ERR_INVALID_ARGUMENT, "has 1 output");
    {
        const DLTensor *with_null[3] = {&ta, NULL, &ty};
        BAD(blaze_kernel_call(k, with_null, 3, outs, 1), BLAZE_ERR_NULL_POINTER,
            "input `x` is NULL");
    }
    {
        DLTensor bad = tx;
        bad.dtype.bits = 32;
        const DLTensor *b[3] = {&ta, &bad, &ty};
        BAD(blaze_kernel_call(k, b, 3, outs, 1), BLAZE_ERR_DTYPE, "input `x` holds float32");
        bad = tx;
        bad.dtype.code = kDLInt;
        BAD(blaze_kernel_call(k, b, 3, outs, 1), BLAZE_ERR_DTYPE, "holds int64");
        bad = tx;
        bad.dtype.code = kDLBfloat;
        bad.dtype.bits = 16;
        BAD(blaze_kernel_call(k, b, 3, outs, 1), BLAZE_ERR_DTYPE, "bfloat16");
        bad = tx;
        bad.dtype.lanes = 4;
        BAD(blaze_kernel_call(k, b, 3, outs, 1), BLAZE_ERR_DTYPE, "4 lanes");
        bad = tx;
        bad.dtype.code = 42;
        BAD(blaze_kernel_call(k, b, 3, outs, 1), BLAZE_ERR_DTYPE, "code 42");
        bad = tx;
        bad.ndim = 2;
        int64_t sh2[2] = {8, 8};
        bad.shape = sh2;
        BAD(blaze_kernel_call(k, b, 3, outs, 1), BLAZE_ERR_SHAPE, "has 2 dimensions");
        bad = tx;
        bad.ndim = -1;
        BAD(blaze_kernel_call(k, b, 3, outs, 1), BLAZE_ERR_SHAPE, "ndim -1");
        bad = tx;
        int64_t neg[1] = {-5};
        bad.shape = neg;
        BAD(blaze_kernel_call(k, b, 3, outs, 1), BLAZE_ERR_SHAPE, "negative length -5");
        bad = tx;
        int64_t shorter[1] = {N - 1};
        bad.shape = shorter;
        BAD(blaze_kernel_call(k, b, 3, outs, 1), BLAZE_ERR_SHAPE, "for `N`");
        bad = tx;
        bad.shape = NULL;
        BAD(blaze_kernel_call(k, b, 3, outs, 1), BLAZE_ERR_NULL_POINTER, "shape is NULL");
        bad = tx;
        bad.data = NULL;
        BAD(blaze_kernel_call(k, b, 3, outs, 1), BLAZE_ERR_NULL_POINTER, "data is NULL");
        bad = tx;
        bad.data = (char *)xbuf + 4;
        BAD(blaze_kernel_call(k, b, 3, outs, 1), BLAZE_ERR_ALIGNMENT, "not aligned to 8 bytes");
        bad = tx;
        bad.byte_offset = 1;
        BAD(blaze_kernel_call(k, b, 3, outs, 1), BLAZE_ERR_ALIGNMENT, "byte_offset 1");
        bad = tx;
        bad.device.device_type = kDLCUDA;
        BAD(blaze_kernel_call(k, b, 3, outs, 1), BLAZE_ERR_DEVICE, "device type 2");
        bad = tx;
        int64_t huge[1] = {INT64_MAX / 4};
        int64_t strides[1] = {INT64_MAX / 2};
        bad.shape = huge;
        BAD(blaze_kernel_call(k, b, 3, outs, 1), BLAZE_ERR_SHAPE, "more elements than memory");
        bad = tx;
        bad.strides = strides;
        BAD(blaze_kernel_call(k, b, 3, outs, 1), BLAZE_ERR_SHAPE, "outside the address space");
        int64_t one[1] = {1};
        DLTensor vec = tx;
        vec.shape = one;
        const DLTensor *v[3] = {&vec, &tx, &ty};
        BAD(blaze_kernel_call(k, v, 3, outs, 1), BLAZE_ERR_SHAPE, "input `a` has 1 dimension");
    }
    {
        DLTensor bad = to;
        DLTensor *o[1] = {&bad};
        bad.dtype.bits = 32;
        BAD(blaze_kernel_call(k, ins, 3, o, 1), BLAZE_ERR_DTYPE, "output 0 holds float32");
        bad = to;
        int64_t longer[1] = {N + 1};
        bad.shape = longer;
        bad.data = xbuf;
        BAD(blaze_kernel_call(k, ins, 3, o, 1), BLAZE_ERR_SHAPE, "output 0 has length 65");
        bad = to;
        int64_t zero[1] = {0};
        bad.strides = zero;
        BAD(blaze_kernel_call(k, ins, 3, o, 1), BLAZE_ERR_SHAPE, "elements overlap");
        for (int i = 0; i < N; i++) CHECK(obuf[i] == -1, "output written by a failed call");
        BAD(blaze_kernel_call_alloc(k, ins, 3, NULL, 1), BLAZE_ERR_NULL_POINTER,
            "outputs array is NULL");
    }
    {
        /* Fixed dimensions of the signature. */
        double c[4] = {1, 2, 3, 4}, r[3];
        int64_t four[1] = {4};
        DLTensor tc = tensor_f64(c, four), td = tensor_f64(c, shape3), tr = tensor_f64(r, shape3);
        const DLTensor *ci[2] = {&tc, &td};
        DLTensor *co[1] = {&tr};
        BAD(blaze_kernel_call(cross, ci, 2, co, 1), BLAZE_ERR_SHAPE, "its type `3 * float64` says 3");
        tc.shape = shape3;
        OK(blaze_kernel_call(cross, ci, 2, co, 1));
    }

    /* Types a DLTensor cannot carry. */
    {
        const char *names[1] = {"x"};
        const char *types[1] = {"N * ?float64"};
        BlazeKernel *opt = NULL;
        OK(blaze_compile_expr(ctx, "x + 1", names, types, 1, &opt));
        DLTensor t = tx;
        const DLTensor *i1[1] = {&t};
        BAD(blaze_kernel_call(opt, i1, 1, outs, 1), BLAZE_ERR_UNSUPPORTED, "missing values");
        OK(blaze_kernel_free(opt));
    }

    /* Evaluation failures. */
    {
        const char *names[1] = {"A"};
        const char *types[1] = {"N * N * float64"};
        BlazeKernel *inv = NULL;
        OK(blaze_compile_expr(ctx, "inv(A)", names, types, 1, &inv));
        double A[4] = {1, 2, 2, 4}, R[4];
        int64_t s22[2] = {2, 2};
        DLTensor tA = tensor_f64(A, s22), tR = tensor_f64(R, s22);
        tA.ndim = tR.ndim = 2;
        const DLTensor *i1[1] = {&tA};
        DLTensor *o1[1] = {&tR};
        BAD(blaze_kernel_call(inv, i1, 1, o1, 1), BLAZE_ERR_EVAL, "singular");
        OK(blaze_kernel_free(inv));
    }

    /* Dumps and strings. */
    {
        char *text = (char *)1;
        BAD(blaze_kernel_emit(k, 9, ins, 3, &text), BLAZE_ERR_INVALID_ARGUMENT, "not a BlazeEmit");
        CHECK(text == NULL, "text cleared on failure");
        BAD(blaze_kernel_emit(k, BLAZE_EMIT_ASM, ins, 1, &text), BLAZE_ERR_INVALID_ARGUMENT,
            "takes 3 inputs");
        OK(blaze_kernel_emit(k, BLAZE_EMIT_IR, NULL, 0, &text));
        OK(blaze_string_free(text));
        BAD(blaze_string_free(text), BLAZE_ERR_INVALID_HANDLE, "freed already");
        char mine[4] = "abc";
        BAD(blaze_string_free(mine), BLAZE_ERR_INVALID_HANDLE, "not a live string");
    }

    /* Managed tensors: the second free is detected. */
    {
        DLManagedTensor *mt = NULL;
        OK(blaze_kernel_call_alloc(k, ins, 3, &mt, 1));
        OK(blaze_tensor_free(mt));
        BAD(blaze_tensor_free(mt), BLAZE_ERR_INVALID_HANDLE, "not a live tensor");
    }

    /* Double frees and uses after free. */
    OK(blaze_module_free(m));
    BAD(blaze_module_free(m), BLAZE_ERR_INVALID_HANDLE, "not a live module handle");
    OK(blaze_kernel_free(k));
    BAD(blaze_kernel_free(k), BLAZE_ERR_INVALID_HANDLE, "not a live kernel handle");
    BAD(blaze_kernel_call(k, ins, 3, outs, 1), BLAZE_ERR_INVALID_HANDLE, "freed already");
    BAD(blaze_context_free((BlazeContext *)cross), BLAZE_ERR_INVALID_HANDLE,
        "is a kernel, not a context");
    OK(blaze_kernel_free(cross));
    BAD(blaze_context_set_threads(ctx, 100000), BLAZE_ERR_INVALID_ARGUMENT, "at most 1024");
    OK(blaze_context_free(ctx));
    BAD(blaze_context_set_threads(ctx, 2), BLAZE_ERR_INVALID_HANDLE, "not a live context handle");
    BAD(blaze_context_free(ctx), BLAZE_ERR_INVALID_HANDLE, "not a live context handle");

    CHECK(strcmp(blaze_status_name(BLAZE_ERR_SHAPE), "BLAZE_ERR_SHAPE") == 0, "status name");
    CHECK(strcmp(blaze_status_name(99), "unknown status") == 0, "unknown status name");
    printf("bad calls rejected: %d\n", cases);
    return 0;
}
