/*
 * `out = a*x + y` on N doubles through an object of `blaze build` (the
 * `axpy` of benches/aot.sh, its header `aot_axpy.h` on the include path)
 * beside a plain C loop compiled with the same flags as this file (-O2),
 * interleaved over ROUNDS rounds (alternating which goes first) into
 * outputs already touched. Checks the object's result against the loop's,
 * then prints one tab-separated line:
 *
 *   variant  n  median-seconds-object  median-seconds-loop  max-relative-difference
 *
 *   aot_axpy N ROUNDS
 */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "aot_axpy.h"

/* Kept out of line so the timed loop is this function, whole. */
__attribute__((noinline)) static void c_axpy(int64_t n, double a, const double *restrict x,
                                             const double *restrict y, double *restrict out) {
    for (int64_t i = 0; i < n; i++) out[i] = a * x[i] + y[i];
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, by_value);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static double *doubles(int64_t n) {
    size_t bytes = ((size_t)n * sizeof(double) + 63) / 64 * 64;
    double *p = aligned_alloc(64, bytes ? bytes : 64);
    if (!p) {
        fprintf(stderr, "aot_axpy: out of memory for %lld doubles\n", (long long)n);
        exit(1);
    }
    memset(p, 0, bytes);
    return p;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s N ROUNDS\n", argv[0]);
        return 2;
    }
    int64_t n = atoll(argv[1]);
    int rounds = atoi(argv[2]);
    if (n < 1 || rounds < 1 || rounds > 1000) {
        fprintf(stderr, "aot_axpy: N >= 1 and 1 <= ROUNDS <= 1000\n");
        return 2;
    }
    const double a = 1.5;
    double *x = doubles(n), *y = doubles(n), *out = doubles(n), *ref = doubles(n);
    for (int64_t i = 0; i < n; i++) {
        x[i] = 0.25 * (double)(i % 1000) - 7.0;
        y[i] = 1.0 / (double)(i % 97 + 1);
    }
    int64_t shape[1] = {n};
    DLTensor tx;
    memset(&tx, 0, sizeof tx);
    tx.data = x;
    tx.device.device_type = kDLCPU;
    tx.ndim = 1;
    tx.dtype.code = kDLFloat;
    tx.dtype.bits = 64;
    tx.dtype.lanes = 1;
    tx.shape = shape;
    DLTensor ty = tx, to = tx;
    ty.data = y;
    to.data = out;
    double t_aot[1000], t_c[1000];
    /* Odd rounds run the loop first, so neither always follows the other. */
    for (int r = 0; r < rounds; r++) {
        double t;
        if (r % 2) {
            t = now();
            c_axpy(n, a, x, y, ref);
            t_c[r] = now() - t;
        }
        t = now();
        int32_t s = axpy(a, &tx, &ty, &to);
        t_aot[r] = now() - t;
        if (s != BLAZE_OK) {
            fprintf(stderr, "aot_axpy: axpy returned %d: %s\n", s, blaze_aot_last_error());
            return 1;
        }
        if (r % 2 == 0) {
            t = now();
            c_axpy(n, a, x, y, ref);
            t_c[r] = now() - t;
        }
    }
    /* The object may contract a*x + y into one FMA: compare relatively. */
    double worst = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs(out[i] - ref[i]) / fmax(fabs(ref[i]), 1e-300);
        if (d > worst) worst = d;
    }
    if (!(worst <= 1e-15)) {
        fprintf(stderr, "aot_axpy: wrong result (relative difference %g)\n", worst);
        return 1;
    }
    const char *variant = blaze_aot_variant_axpy();
    printf("%s\t%lld\t%.6f\t%.6f\t%.2g\n", variant ? variant : "(none)", (long long)n,
           median(t_aot, rounds), median(t_c, rounds), worst);
    free(x);
    free(y);
    free(out);
    free(ref);
    return 0;
}
