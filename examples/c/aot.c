/* axpy compiled ahead of time: `blaze build axpy.blz -o axpy_aot.o --header
 * axpy_aot.h` made a plain C function; this program links only that object
 * and `blaze config --libs` (libm, libmvec) — no blaze library, no JIT. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "axpy_aot.h"

int main(void) {
    enum { N = 1000000 };
    double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y), *out = malloc(N * sizeof *out);
    if (!x || !y || !out) return 1;
    for (int i = 0; i < N; i++) {
        x[i] = i;
        y[i] = 1.0;
    }
    int64_t shape[1] = {N};
    DLTensor tx = {x, {kDLCPU, 0}, 1, {kDLFloat, 64, 1}, shape, NULL, 0};
    DLTensor ty = {y, {kDLCPU, 0}, 1, {kDLFloat, 64, 1}, shape, NULL, 0};
    DLTensor tout = {out, {kDLCPU, 0}, 1, {kDLFloat, 64, 1}, shape, NULL, 0};
    int32_t status = axpy(2.0, &tx, &ty, &tout);
    if (status != BLAZE_OK) {
        fprintf(stderr, "axpy failed (%d): %s\n", status, blaze_aot_last_error());
        return 1;
    }
    for (int i = 0; i < N; i++)
        if (out[i] != 2.0 * x[i] + 1.0) {
            fprintf(stderr, "out[%d] = %g\n", i, out[i]);
            return 1;
        }
    /* A wrong call: the output is too short. */
    int64_t short_shape[1] = {N - 1};
    tout.shape = short_shape;
    status = axpy(2.0, &tx, &ty, &tout);
    printf("aot axpy on %d doubles: ok; with a short output: status %d, %s\n", N, status,
           blaze_aot_last_error());
    free(x);
    free(y);
    free(out);
    return status == BLAZE_ERR_SHAPE ? 0 : 1;
}
