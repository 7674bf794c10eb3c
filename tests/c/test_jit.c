/* The JIT through the C ABI: compile a module and expressions from
 * strings, read signatures, call kernels on DLPack tensors (caller- and
 * blaze-allocated outputs, strided and 0-d tensors, several dtypes, tuple
 * results), dump generated code, and call one kernel from two threads.
 *
 * Usage: test_jit [N]   (N elements for axpy, default 1000000) */
#include <math.h>
#include <pthread.h>
#include <stdint.h>

#include "check.h"

static const char *MODULE_SRC =
    "def axpy(a: float64, x: N * float64, y: N * float64) -> N * float64 = a * x + y\n"
    "def norms(X: N * 3 * float64) = sqrt(sum(X * X, axis=1))\n"
    "def stats(x: N * float64) = (sum(x), max(x))\n";

static int close_to(double got, double want) {
    return fabs(got - want) <= 1e-14 * fabs(want) + 1e-300;
}

static void test_axpy(BlazeContext *ctx, int64_t n) {
    BlazeModule *m = NULL;
    OK(blaze_compile(ctx, MODULE_SRC, &m));
    size_t nk = 0;
    OK(blaze_module_num_kernels(m, &nk));
    CHECK(nk == 3, "the module has %zu kernels", nk);
    const char *name = NULL;
    OK(blaze_module_kernel_name(m, 0, &name));
    CHECK(strcmp(name, "axpy") == 0, "first kernel is %s", name);

    BlazeKernel *k = NULL;
    OK(blaze_module_kernel(m, "axpy", &k));
    /* The kernel outlives its module. */
    OK(blaze_module_free(m));

    const char *sig = NULL, *result = NULL, *pname = NULL, *pty = NULL;
    OK(blaze_kernel_signature(k, &sig));
    CHECK(strcmp(sig, "axpy(a: float64, x: N * float64, y: N * float64) -> N * float64") == 0,
          "signature %s", sig);
    size_t np = 0, no = 0;
    OK(blaze_kernel_num_params(k, &np));
    OK(blaze_kernel_num_outputs(k, &no));
    CHECK(np == 3 && no == 1, "%zu params, %zu outputs", np, no);
    OK(blaze_kernel_param(k, 1, &pname, &pty));
    CHECK(strcmp(pname, "x") == 0 && strcmp(pty, "N * float64") == 0, "param 1 is %s: %s", pname, pty);
    OK(blaze_kernel_result(k, &result));
    CHECK(strcmp(result, "N * float64") == 0, "result %s", result);

    double *x = malloc(sizeof(double) * n), *y = malloc(sizeof(double) * n),
           *out = malloc(sizeof(double) * n);
    CHECK(x && y && out, "out of memory");
    for (int64_t i = 0; i < n; i++) {
        x[i] = 0.5 * (double)i;
        y[i] = 1.0 - (double)(i % 7);
        out[i] = -1.0;
    }
    double a = 2.5;
    int64_t shape[1] = {n};
    DLTensor ta = tensor_scalar(&a, kDLFloat, 64);
    DLTensor tx = tensor_f64(x, shape), ty = tensor_f64(y, shape), to = tensor_f64(out, shape);
    const DLTensor *ins[3] = {&ta, &tx, &ty};
    DLTensor *outs[1] = {&to};
    OK(blaze_kernel_call(k, ins, 3, outs, 1));
    for (int64_t i = 0; i < n; i++)
        CHECK(close_to(out[i], a * x[i] + y[i]), "axpy[%lld] = %.17g, want %.17g", (long long)i,
              out[i], a * x[i] + y[i]);
    CHECK(blaze_last_error_code() == BLAZE_OK, "last error after success");
    CHECK(strcmp(blaze_last_error_message(), "") == 0, "message after success");

    /* blaze allocates the output. */
    DLManagedTensor *mt = NULL;
    OK(blaze_kernel_call_alloc(k, ins, 3, &mt, 1));
    CHECK(mt != NULL && mt->dl_tensor.ndim == 1 && mt->dl_tensor.shape[0] == n, "managed shape");
    CHECK(mt->dl_tensor.dtype.code == kDLFloat && mt->dl_tensor.dtype.bits == 64 &&
              mt->dl_tensor.dtype.lanes == 1 && mt->dl_tensor.device.device_type == kDLCPU,
          "managed dtype/device");
    const double *md = (const double *)((const char *)mt->dl_tensor.data + mt->dl_tensor.byte_offset);
    for (int64_t i = 0; i < n; i++)
        CHECK(md[i] == out[i], "managed[%lld] = %.17g, want %.17g", (long long)i, md[i], out[i]);
    mt->deleter(mt);

    /* Strided views: every other element of x, read backwards; the output
     * is every third element of a larger buffer. */
    int64_t m_len = n / 3;
    int64_t sshape[1] = {m_len}, sx[1] = {-2}, so[1] = {3};
    DLTensor tvx = tensor_f64(x, sshape);
    tvx.strides = sx;
    tvx.byte_offset = sizeof(double) * (uint64_t)(2 * (m_len - 1));
    DLTensor tvy = tensor_f64(y, sshape);
    for (int64_t i = 0; i < n; i++) out[i] = -7.0;
    DLTensor tvo = tensor_f64(out, sshape);
    tvo.strides = so;
    const DLTensor *vins[3] = {&ta, &tvx, &tvy};
    DLTensor *vouts[1] = {&tvo};
    OK(blaze_kernel_call(k, vins, 3, vouts, 1));
    for (int64_t i = 0; i < m_len; i++) {
        double want = a * x[2 * (m_len - 1 - i)] + y[i];
        CHECK(close_to(out[3 * i], want), "strided[%lld] = %.17g, want %.17g", (long long)i,
              out[3 * i], want);
        if (3 * i + 1 < n) CHECK(out[3 * i + 1] == -7.0, "wrote between strided elements");
    }

    /* In place: the output is input y. */
    for (int64_t i = 0; i < n; i++) out[i] = y[i];
    DLTensor tinplace = tensor_f64(out, shape);
    const DLTensor *pins[3] = {&ta, &tx, &tinplace};
    DLTensor *pouts[1] = {&tinplace};
    OK(blaze_kernel_call(k, pins, 3, pouts, 1));
    for (int64_t i = 0; i < n; i++)
        CHECK(close_to(out[i], a * x[i] + y[i]), "in place [%lld]", (long long)i);

    /* What was generated: blaze's IR, and the host assembly for these
     * inputs. */
    char *text = NULL;
    OK(blaze_kernel_emit(k, BLAZE_EMIT_IR, NULL, 0, &text));
    CHECK(strstr(text, "float64") != NULL, "IR text: %s", text);
    OK(blaze_string_free(text));
    OK(blaze_kernel_emit(k, BLAZE_EMIT_OPT_IR, ins, 3, &text));
    CHECK(strstr(text, "define") != NULL && strstr(text, "fmul") != NULL, "opt IR: %.400s", text);
    OK(blaze_string_free(text));
    OK(blaze_kernel_emit(k, BLAZE_EMIT_ASM, ins, 3, &text));
    CHECK(strstr(text, "ret") != NULL, "asm: %.400s", text);
    OK(blaze_string_free(text));

    free(x);
    free(y);
    free(out);
    OK(blaze_kernel_free(k));
    printf("axpy on %lld doubles: ok\n", (long long)n);
}

/* 2-d input, reductions, a tuple result with two outputs. */
static void test_norms_and_stats(BlazeContext *ctx) {
    BlazeModule *m = NULL;
    OK(blaze_compile(ctx, MODULE_SRC, &m));
    BlazeKernel *norms = NULL, *stats = NULL;
    OK(blaze_module_kernel(m, "norms", &norms));
    OK(blaze_module_kernel(m, "stats", &stats));
    OK(blaze_module_free(m));

    double X[2][3] = {{3, 4, 0}, {1, 2, 2}};
    int64_t xs[2] = {2, 3};
    DLTensor tX = tensor_f64(&X[0][0], xs);
    tX.ndim = 2;
    double r[2] = {0, 0};
    int64_t rs[1] = {2};
    DLTensor tr = tensor_f64(r, rs);
    const DLTensor *ins[1] = {&tX};
    DLTensor *outs[1] = {&tr};
    OK(blaze_kernel_call(norms, ins, 1, outs, 1));
    CHECK(r[0] == 5.0 && r[1] == 3.0, "norms = [%g, %g]", r[0], r[1]);

    size_t no = 0;
    OK(blaze_kernel_num_outputs(stats, &no));
    CHECK(no == 2, "stats has %zu outputs", no);
    double v[4] = {1.5, -2, 8, 0.5};
    int64_t vs[1] = {4};
    DLTensor tv = tensor_f64(v, vs);
    double s = 0, mx = 0;
    DLTensor ts = tensor_scalar(&s, kDLFloat, 64), tm = tensor_scalar(&mx, kDLFloat, 64);
    const DLTensor *sins[1] = {&tv};
    DLTensor *souts[2] = {&ts, &tm};
    OK(blaze_kernel_call(stats, sins, 1, souts, 2));
    CHECK(s == 8.0 && mx == 8.0, "stats = (%g, %g)", s, mx);
    DLManagedTensor *ms[2] = {NULL, NULL};
    OK(blaze_kernel_call_alloc(stats, sins, 1, ms, 2));
    CHECK(ms[0]->dl_tensor.ndim == 0 && *(double *)ms[0]->dl_tensor.data == 8.0, "alloc sum");
    CHECK(*(double *)ms[1]->dl_tensor.data == 8.0, "alloc max");
    OK(blaze_tensor_free(ms[0]));
    ms[1]->deleter(ms[1]);

    OK(blaze_kernel_free(norms));
    OK(blaze_kernel_free(stats));
    printf("norms, stats: ok\n");
}

/* Expressions over other dtypes: int32 arithmetic, float32, bool results. */
static void test_expressions(BlazeContext *ctx) {
    const char *names[2] = {"a", "b"};
    const char *types[2] = {"N * int32", "N * int32"};
    BlazeKernel *k = NULL;
    OK(blaze_compile_expr(ctx, "2*a + b", names, types, 2, &k));
    const char *sig = NULL;
    OK(blaze_kernel_signature(k, &sig));
    CHECK(strcmp(sig, "main(a: N * int32, b: N * int32) -> N * int32") == 0, "signature %s", sig);
    int32_t a[5] = {1, 2, 3, 4, 2147483647}, b[5] = {10, 20, 30, 40, 0}, o[5];
    int64_t sh[1] = {5};
    DLTensor ta = tensor_f64((double *)a, sh), tb = tensor_f64((double *)b, sh),
             to = tensor_f64((double *)o, sh);
    ta.dtype.code = tb.dtype.code = to.dtype.code = kDLInt;
    ta.dtype.bits = tb.dtype.bits = to.dtype.bits = 32;
    const DLTensor *ins[2] = {&ta, &tb};
    DLTensor *outs[1] = {&to};
    OK(blaze_kernel_call(k, ins, 2, outs, 1));
    for (int i = 0; i < 4; i++) CHECK(o[i] == 2 * a[i] + b[i], "int32 [%d] = %d", i, o[i]);
    CHECK(o[4] == (int32_t)(2u * 2147483647u), "int32 wraps: %d", o[4]);
    OK(blaze_kernel_free(k));

    const char *fn[1] = {"x"};
    const char *ft[1] = {"4 * float32"};
    OK(blaze_compile_expr(ctx, "x > 0.5", fn, ft, 1, &k));
    float x[4] = {0.25f, 0.75f, 1.0f, -3.0f};
    uint8_t flags[4] = {9, 9, 9, 9};
    int64_t s4[1] = {4};
    DLTensor tx = tensor_f64((double *)x, s4), tf = tensor_f64((double *)flags, s4);
    tx.dtype.bits = 32;
    tf.dtype.code = kDLBool;
    tf.dtype.bits = 8;
    const DLTensor *xin[1] = {&tx};
    DLTensor *fout[1] = {&tf};
    OK(blaze_kernel_call(k, xin, 1, fout, 1));
    CHECK(flags[0] == 0 && flags[1] == 1 && flags[2] == 1 && flags[3] == 0,
          "bool result %d %d %d %d", flags[0], flags[1], flags[2], flags[3]);
    OK(blaze_kernel_free(k));

    /* Bool inputs: any nonzero byte is true. */
    const char *bt[1] = {"4 * bool"};
    OK(blaze_compile_expr(ctx, "sum(x)", fn, bt, 1, &k));
    const char *rt = NULL;
    OK(blaze_kernel_result(k, &rt));
    uint8_t bits[4] = {0, 1, 2, 255};
    int64_t count = -1;
    DLTensor tb8 = tensor_f64((double *)bits, s4);
    tb8.dtype.code = kDLBool;
    tb8.dtype.bits = 8;
    DLTensor tc = tensor_scalar(&count, kDLInt, 64);
    CHECK(strcmp(rt, "int64") == 0, "sum of bool has type %s", rt);
    const DLTensor *bin[1] = {&tb8};
    DLTensor *cout[1] = {&tc};
    OK(blaze_kernel_call(k, bin, 1, cout, 1));
    CHECK(count == 3, "sum of bools = %lld", (long long)count);
    OK(blaze_kernel_free(k));
    /* Empty tensors: NULL data is fine when there are no elements. */
    const char *en[1] = {"x"};
    const char *et[1] = {"N * float64"};
    OK(blaze_compile_expr(ctx, "x * 2 + 1", en, et, 1, &k));
    int64_t s0[1] = {0};
    DLTensor te = tensor_f64(NULL, s0), teo = tensor_f64(NULL, s0);
    const DLTensor *ein[1] = {&te};
    DLTensor *eout[1] = {&teo};
    OK(blaze_kernel_call(k, ein, 1, eout, 1));
    DLManagedTensor *em = NULL;
    OK(blaze_kernel_call_alloc(k, ein, 1, &em, 1));
    CHECK(em->dl_tensor.ndim == 1 && em->dl_tensor.shape[0] == 0, "empty managed result");
    em->deleter(em);
    OK(blaze_kernel_free(k));
    printf("expressions: ok\n");
}

/* The reference interpreter through the same API agrees with the JIT. */
static void test_interp(void) {
    BlazeContext *ctx = NULL;
    OK(blaze_context_create(&ctx));
    OK(blaze_context_set_engine(ctx, BLAZE_ENGINE_INTERP));
    const char *names[1] = {"x"};
    const char *types[1] = {"N * float64"};
    BlazeKernel *k = NULL;
    OK(blaze_compile_expr(ctx, "sin(x) * 2", names, types, 1, &k));
    OK(blaze_context_free(ctx));
    double x[3] = {0.0, 1.0, -2.0}, o[3];
    int64_t sh[1] = {3};
    DLTensor tx = tensor_f64(x, sh), to = tensor_f64(o, sh);
    const DLTensor *ins[1] = {&tx};
    DLTensor *outs[1] = {&to};
    OK(blaze_kernel_call(k, ins, 1, outs, 1));
    for (int i = 0; i < 3; i++) CHECK(o[i] == sin(x[i]) * 2, "interp [%d] = %.17g", i, o[i]);
    OK(blaze_kernel_free(k));
    printf("interpreter engine: ok\n");
}

struct job {
    BlazeKernel *k;
    double scale;
    int ok;
};

static void *worker(void *arg) {
    struct job *j = arg;
    enum { LEN = 4096 };
    static __thread double x[LEN], y[LEN], o[LEN];
    for (int i = 0; i < LEN; i++) {
        x[i] = i * j->scale;
        y[i] = 1.0;
    }
    double a = j->scale;
    int64_t sh[1] = {LEN};
    DLTensor ta = tensor_scalar(&a, kDLFloat, 64), tx = tensor_f64(x, sh), ty = tensor_f64(y, sh),
             to = tensor_f64(o, sh);
    const DLTensor *ins[3] = {&ta, &tx, &ty};
    DLTensor *outs[1] = {&to};
    j->ok = 1;
    for (int round = 0; round < 20; round++) {
        if (blaze_kernel_call(j->k, ins, 3, outs, 1) != BLAZE_OK) j->ok = 0;
        for (int i = 0; i < LEN; i++)
            if (!close_to(o[i], a * x[i] + 1.0)) j->ok = 0;
    }
    /* The last error is per thread: a failure here is not seen elsewhere. */
    if (blaze_kernel_call(j->k, ins, 2, outs, 1) != BLAZE_ERR_INVALID_ARGUMENT) j->ok = 0;
    if (blaze_last_error_code() != BLAZE_ERR_INVALID_ARGUMENT) j->ok = 0;
    return NULL;
}

static void test_threads(BlazeContext *ctx) {
    BlazeModule *m = NULL;
    BlazeKernel *k = NULL;
    OK(blaze_compile(ctx, MODULE_SRC, &m));
    OK(blaze_module_kernel(m, "axpy", &k));
    OK(blaze_module_free(m));
    struct job jobs[2] = {{k, 1.5, 0}, {k, -0.25, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++) CHECK(pthread_create(&t[i], NULL, worker, &jobs[i]) == 0, "thread");
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    CHECK(jobs[0].ok && jobs[1].ok, "threads: %d %d", jobs[0].ok, jobs[1].ok);
    CHECK(blaze_last_error_code() == BLAZE_OK, "the main thread's last error changed");
    OK(blaze_kernel_free(k));
    printf("two threads on one kernel: ok\n");
}

int main(int argc, char **argv) {
    int64_t n = argc > 1 ? atoll(argv[1]) : 1000000;
    CHECK(n >= 3, "N must be at least 3");
    CHECK(blaze_abi_version() == BLAZE_ABI_VERSION, "ABI %u, header %d", blaze_abi_version(),
          BLAZE_ABI_VERSION);
    CHECK(strlen(blaze_version()) > 0, "version");
    BlazeContext *ctx = NULL;
    OK(blaze_context_create(&ctx));
    OK(blaze_context_set_threads(ctx, 2));
    test_axpy(ctx, n);
    test_norms_and_stats(ctx);
    test_expressions(ctx);
    test_interp();
    test_threads(ctx);
    OK(blaze_context_free(ctx));
    printf("test_jit: all passed\n");
    return 0;
}
