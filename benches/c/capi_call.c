/*
 * The cost of calling a compiled kernel through blaze's C ABI: `a*x + y`
 * compiled with blaze_compile_expr, called on DLPack tensors over the
 * caller's memory with blaze_kernel_call (into an output the caller has
 * already touched) and with blaze_kernel_call_alloc (blaze allocates the
 * result; freeing it is outside the timed region). Only the calls are
 * timed. Prints one JSON line of best-of-N seconds.
 *
 *   capi_call X.npy Y.npy A REPEAT THREADS
 */
#include "npy.h"

#include "blaze.h"

static void check(BlazeStatus s, const char *what) {
    if (s != BLAZE_OK) {
        fprintf(stderr, "%s: %s: %s\n", what, blaze_status_name(s), blaze_last_error_message());
        exit(1);
    }
}

static DLTensor tensor(double *data, int32_t ndim, int64_t *shape) {
    DLTensor t = {0};
    t.data = data;
    t.device.device_type = kDLCPU;
    t.ndim = ndim;
    t.dtype.code = kDLFloat;
    t.dtype.bits = 64;
    t.dtype.lanes = 1;
    t.shape = shape;
    return t;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s X.npy Y.npy A REPEAT THREADS\n", argv[0]);
        return 2;
    }
    int64_t n, ny;
    double *x = npy_read_f64(argv[1], &n);
    double *y = npy_read_f64(argv[2], &ny);
    double a = atof(argv[3]);
    int repeat = atoi(argv[4]);
    int threads = atoi(argv[5]);
    if (ny != n || repeat < 1 || threads < 1) {
        fprintf(stderr, "x and y differ in length, or REPEAT or THREADS < 1\n");
        return 2;
    }
    double *out = aligned_alloc(64, ((size_t)n * sizeof(double) + 63) / 64 * 64);
    if (!out) return 1;
    memset(out, 0, (size_t)n * sizeof(double));

    BlazeContext *ctx;
    check(blaze_context_create(&ctx), "blaze_context_create");
    check(blaze_context_set_threads(ctx, (uint32_t)threads), "blaze_context_set_threads");
    const char *names[] = {"a", "x", "y"};
    const char *types[] = {"float64", "N * float64", "N * float64"};
    BlazeKernel *kernel;
    check(blaze_compile_expr(ctx, "a*x + y", names, types, 3, &kernel), "blaze_compile_expr");

    int64_t shape[1] = {n};
    DLTensor ta = tensor(&a, 0, NULL), tx = tensor(x, 1, shape), ty = tensor(y, 1, shape);
    DLTensor tout = tensor(out, 1, shape);
    const DLTensor *inputs[] = {&ta, &tx, &ty};
    DLTensor *outputs[] = {&tout};

    /* The first call compiles; the timed ones find the kernel cached. */
    double first = now();
    check(blaze_kernel_call(kernel, inputs, 3, outputs, 1), "blaze_kernel_call");
    first = now() - first;
    double best_call = 1e300;
    for (int r = 0; r < repeat; r++) {
        double t = now();
        check(blaze_kernel_call(kernel, inputs, 3, outputs, 1), "blaze_kernel_call");
        t = now() - t;
        if (t < best_call) best_call = t;
    }
    double best_alloc = 1e300, alloc_checksum = 0;
    for (int r = 0; r < repeat; r++) {
        DLManagedTensor *result[1];
        double t = now();
        check(blaze_kernel_call_alloc(kernel, inputs, 3, result, 1), "blaze_kernel_call_alloc");
        t = now() - t;
        if (t < best_alloc) best_alloc = t;
        if (r == repeat - 1) {
            const DLTensor *d = &result[0]->dl_tensor;
            const double *v = (const double *)((const char *)d->data + d->byte_offset);
            for (int64_t i = 0; i < n; i++) alloc_checksum += v[i];
        }
        check(blaze_tensor_free(result[0]), "blaze_tensor_free");
    }

    double checksum = 0;
    for (int64_t i = 0; i < n; i++) {
        double want = a * x[i] + y[i];
        double diff = out[i] - want;
        if (diff > 1e-12 * (want > 1 ? want : 1) || -diff > 1e-12 * (want > 1 ? want : 1)) {
            fprintf(stderr, "wrong result at %lld: %g instead of %g\n", (long long)i, out[i], want);
            return 1;
        }
        checksum += out[i];
    }
    if (alloc_checksum != checksum) {
        fprintf(stderr, "blaze_kernel_call_alloc's result differs from blaze_kernel_call's\n");
        return 1;
    }
    printf("{\"n\": %lld, \"threads\": %d, \"repeat\": %d, \"first_call\": %.9f, \"call\": %.9f, "
           "\"call_alloc\": %.9f, \"checksum\": %.17e}\n",
           (long long)n, threads, repeat, first, best_call, best_alloc, checksum);
    check(blaze_kernel_free(kernel), "blaze_kernel_free");
    check(blaze_context_free(ctx), "blaze_context_free");
    free(x);
    free(y);
    free(out);
    return 0;
}
