/*
 * The floor the boundary benchmark compares with: `out[i] = a*x[i] + y[i]`
 * as a plain single-threaded loop into an output it has already touched
 * (its pages are mapped before the timed runs). Prints one JSON line of
 * best-of-N seconds.
 *
 *   loop X.npy Y.npy A REPEAT
 */
#include "npy.h"

/* Kept out of line so the timed loop is this function, whole. */
__attribute__((noinline)) static void axpy(int64_t n, double a, const double *restrict x,
                                           const double *restrict y, double *restrict out) {
    for (int64_t i = 0; i < n; i++) out[i] = a * x[i] + y[i];
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s X.npy Y.npy A REPEAT\n", argv[0]);
        return 2;
    }
    int64_t n, ny;
    double *x = npy_read_f64(argv[1], &n);
    double *y = npy_read_f64(argv[2], &ny);
    double a = atof(argv[3]);
    int repeat = atoi(argv[4]);
    if (ny != n || repeat < 1) {
        fprintf(stderr, "x and y differ in length, or REPEAT < 1\n");
        return 2;
    }
    double *out = aligned_alloc(64, ((size_t)n * sizeof(double) + 63) / 64 * 64);
    if (!out) return 1;
    memset(out, 0, (size_t)n * sizeof(double));
    double best = 1e300;
    for (int r = 0; r < repeat; r++) {
        double t = now();
        axpy(n, a, x, y, out);
        t = now() - t;
        if (t < best) best = t;
    }
    double checksum = 0;
    for (int64_t i = 0; i < n; i++) checksum += out[i];
    printf("{\"n\": %lld, \"repeat\": %d, \"loop\": %.9f, \"checksum\": %.17e}\n", (long long)n,
           repeat, best, checksum);
    free(x);
    free(y);
    free(out);
    return 0;
}
