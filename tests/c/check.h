/* Helpers of the C tests: every failed check prints where and why and
 * exits 1, so a test cannot pass by accident. */
#ifndef BLAZE_TEST_CHECK_H
#define BLAZE_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blaze.h"

/* A call that must succeed. */
#define OK(call)                                                             \
    do {                                                                     \
        BlazeStatus s_ = (call);                                             \
        if (s_ != BLAZE_OK) {                                                \
            fprintf(stderr, "%s:%d: %s failed with %s: %s\n", __FILE__,      \
                    __LINE__, #call, blaze_status_name(s_),                  \
                    blaze_last_error_message());                             \
            exit(1);                                                         \
        }                                                                    \
    } while (0)

/* A condition that must hold. */
#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, \
                    #cond);                                                  \
            fprintf(stderr, __VA_ARGS__);                                    \
            fprintf(stderr, "\n");                                           \
            exit(1);                                                         \
        }                                                                    \
    } while (0)

/* A 1-d float64 tensor over `data`. */
static inline DLTensor tensor_f64(double *data, int64_t *shape) {
    DLTensor t;
    memset(&t, 0, sizeof t);
    t.data = data;
    t.device.device_type = kDLCPU;
    t.device.device_id = 0;
    t.ndim = 1;
    t.dtype.code = kDLFloat;
    t.dtype.bits = 64;
    t.dtype.lanes = 1;
    t.shape = shape;
    t.strides = NULL;
    t.byte_offset = 0;
    return t;
}

/* A 0-d tensor (a scalar) of type `code`/`bits` over `data`. */
static inline DLTensor tensor_scalar(void *data, uint8_t code, uint8_t bits) {
    DLTensor t;
    memset(&t, 0, sizeof t);
    t.data = data;
    t.device.device_type = kDLCPU;
    t.ndim = 0;
    t.dtype.code = code;
    t.dtype.bits = bits;
    t.dtype.lanes = 1;
    return t;
}

#endif
