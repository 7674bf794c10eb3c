/* axpy through blaze's C ABI: compile a module from a string, read the
 * kernel's signature, call it on a million doubles, check the result. */
#define _POSIX_C_SOURCE 199309L /* clock_gettime */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "blaze.h"

#define TRY(call)                                                                   \
    do {                                                                            \
        if ((call) != BLAZE_OK) {                                                   \
            fprintf(stderr, "%s failed:\n%s\n", #call, blaze_last_error_message()); \
            return 1;                                                               \
        }                                                                           \
    } while (0)

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(void) {
    const char *source =
        "def axpy(a: float64, x: N * float64, y: N * float64) -> N * float64 = a * x + y\n";
    BlazeContext *ctx;
    BlazeModule *module;
    BlazeKernel *axpy;
    TRY(blaze_context_create(&ctx));
    TRY(blaze_compile(ctx, source, &module));
    TRY(blaze_module_kernel(module, "axpy", &axpy));
    const char *signature;
    TRY(blaze_kernel_signature(axpy, &signature));
    printf("blaze %s: %s\n", blaze_version(), signature);

    enum { N = 1000000 };
    double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y), *out = malloc(N * sizeof *out);
    if (!x || !y || !out) return 1;
    for (int i = 0; i < N; i++) {
        x[i] = i;
        y[i] = 0.5 * i;
    }
    double a = 3.0;
    int64_t shape[1] = {N};
    /* DLPack tensors: a is 0-d, the vectors are compact 1-d. */
    DLTensor ta = {&a, {kDLCPU, 0}, 0, {kDLFloat, 64, 1}, NULL, NULL, 0};
    DLTensor tx = {x, {kDLCPU, 0}, 1, {kDLFloat, 64, 1}, shape, NULL, 0};
    DLTensor ty = {y, {kDLCPU, 0}, 1, {kDLFloat, 64, 1}, shape, NULL, 0};
    DLTensor tout = {out, {kDLCPU, 0}, 1, {kDLFloat, 64, 1}, shape, NULL, 0};
    const DLTensor *inputs[3] = {&ta, &tx, &ty};
    DLTensor *outputs[1] = {&tout};

    double t0 = seconds();
    TRY(blaze_kernel_call(axpy, inputs, 3, outputs, 1)); /* compiles, then runs */
    double t1 = seconds();
    TRY(blaze_kernel_call(axpy, inputs, 3, outputs, 1)); /* cached kernel */
    double t2 = seconds();

    for (int i = 0; i < N; i++) {
        double want = a * x[i] + y[i];
        if (fabs(out[i] - want) > 1e-12 * fabs(want)) {
            fprintf(stderr, "out[%d] = %g, want %g\n", i, out[i], want);
            return 1;
        }
    }
    printf("axpy on %d doubles: first call %.1f ms (with compilation), then %.2f ms; out[%d] = %g\n",
           N, 1e3 * (t1 - t0), 1e3 * (t2 - t1), N - 1, out[N - 1]);

    free(x);
    free(y);
    free(out);
    TRY(blaze_kernel_free(axpy));
    TRY(blaze_module_free(module));
    TRY(blaze_context_free(ctx));
    return 0;
}
