/*
 * A minimal reader of the `.npy` files the boundary benchmark writes:
 * a one-dimensional, C-order, little-endian float64 array ('<f8'), read
 * whole into 64-byte aligned memory (included first: it sets
 * _POSIX_C_SOURCE). Anything else is reported and the
 * program exits with status 1.
 */
#ifndef BENCH_NPY_H
#define BENCH_NPY_H

/* clock_gettime under -std=c11. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200112L
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void npy_fail(const char *path, const char *what) {
    fprintf(stderr, "%s: %s\n", path, what);
    exit(1);
}

/* Reads `path`; returns the elements (free with free()) and sets `*n`. */
static double *npy_read_f64(const char *path, int64_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) npy_fail(path, "cannot open");
    unsigned char magic[10];
    if (fread(magic, 1, 10, f) != 10 || memcmp(magic, "\x93NUMPY", 6) != 0)
        npy_fail(path, "not a .npy file");
    size_t header_len;
    if (magic[6] == 1) {
        header_len = magic[8] | (size_t)magic[9] << 8;
    } else {
        unsigned char more[2];
        if (fread(more, 1, 2, f) != 2) npy_fail(path, "truncated header");
        header_len = magic[8] | (size_t)magic[9] << 8 | (size_t)more[0] << 16 | (size_t)more[1] << 24;
    }
    char *header = malloc(header_len + 1);
    if (!header || fread(header, 1, header_len, f) != header_len) npy_fail(path, "truncated header");
    header[header_len] = 0;
    if (!strstr(header, "'descr': '<f8'")) npy_fail(path, "not little-endian float64");
    if (!strstr(header, "'fortran_order': False")) npy_fail(path, "not in C order");
    char *shape = strstr(header, "'shape': (");
    long long len;
    if (!shape || sscanf(shape, "'shape': (%lld,)", &len) != 1 || len < 0)
        npy_fail(path, "not a one-dimensional array");
    free(header);
    size_t bytes = ((size_t)len * sizeof(double) + 63) / 64 * 64;
    double *data = aligned_alloc(64, bytes ? bytes : 64);
    if (!data) npy_fail(path, "out of memory");
    if (fread(data, sizeof(double), (size_t)len, f) != (size_t)len) npy_fail(path, "truncated data");
    fclose(f);
    *n = len;
    return data;
}

/* Seconds on the monotonic clock. */
static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#endif
