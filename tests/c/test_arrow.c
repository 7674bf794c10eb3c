/* The Arrow C Data Interface through the C ABI, as a producer such as
 * pyarrow or DuckDB would use it: ArrowArray/ArrowSchema structs built by
 * hand (buffers, validity bitmaps at an offset that is not a multiple of
 * 8, release callbacks of their own), passed to blaze_kernel_call_arrow,
 * the exported result read bit by bit and released; bad calls rejected
 * with the outputs left released. Inputs must come back unreleased (blaze
 * borrows them) and be released here exactly once.
 *
 * Usage: test_arrow [N]   (N elements, default 1000) */
#include <math.h>
#include <stdint.h>

#include "check.h"

static int arrays_released = 0;
static int schemas_released = 0;

/* What a producer keeps for one array: its buffers. */
typedef struct {
    void *values;
    uint8_t *bitmap;
    const void **buffers;
} Private;

static void release_array(struct ArrowArray *a) {
    Private *p = (Private *)a->private_data;
    free(p->values);
    free(p->bitmap);
    free(p->buffers);
    free(p);
    a->release = NULL;
    arrays_released++;
}

static void release_schema(struct ArrowSchema *s) {
    s->release = NULL;
    schemas_released++;
}

static struct ArrowSchema schema_of(const char *format) {
    struct ArrowSchema s;
    memset(&s, 0, sizeof s);
    s.format = format;
    s.name = "";
    s.flags = ARROW_FLAG_NULLABLE;
    s.release = release_schema;
    return s;
}

/* Element `i` of the buffers (offset included) is missing when i % 3 == 0
 * (if `nulls`); its value is i * scale. */
static int missing_at(int64_t i) { return i % 3 == 0; }

/* A float64 array over buffers of offset + n elements, viewed from
 * `offset`. */
static struct ArrowArray f64_array(int64_t n, int64_t offset, double scale, int nulls) {
    int64_t total = offset + n;
    Private *p = calloc(1, sizeof *p);
    CHECK(p, "out of memory");
    double *values = malloc(sizeof(double) * (size_t)(total > 0 ? total : 1));
    uint8_t *bitmap = calloc((size_t)(total / 8 + 1), 1);
    p->buffers = malloc(2 * sizeof(void *));
    CHECK(values && bitmap && p->buffers, "out of memory");
    int64_t null_count = 0;
    for (int64_t i = 0; i < total; i++) {
        values[i] = (double)i * scale;
        if (!nulls || !missing_at(i)) {
            bitmap[i / 8] |= (uint8_t)(1u << (i % 8));
        } else if (i >= offset) {
            null_count++;
            values[i] = NAN; /* what is under a null must not matter */
        }
    }
    p->values = values;
    p->bitmap = bitmap;
    p->buffers[0] = nulls ? bitmap : NULL;
    p->buffers[1] = values;
    struct ArrowArray a;
    memset(&a, 0, sizeof a);
    a.length = n;
    a.null_count = null_count;
    a.offset = offset;
    a.n_buffers = 2;
    a.buffers = p->buffers;
    a.release = release_array;
    a.private_data = p;
    return a;
}

static int valid_bit(const struct ArrowArray *a, int64_t i) {
    const uint8_t *bits = (const uint8_t *)a->buffers[0];
    if (bits == NULL) return 1;
    int64_t j = a->offset + i;
    return (bits[j / 8] >> (j % 8)) & 1;
}

static double f64_at(const struct ArrowArray *a, int64_t i) {
    return ((const double *)a->buffers[1])[a->offset + i];
}

static void release_result(struct ArrowArray *a, struct ArrowSchema *s) {
    CHECK(a->release != NULL && s->release != NULL, "the result is not released yet");
    a->release(a);
    s->release(s);
    CHECK(a->release == NULL && s->release == NULL, "release marks the structs released");
}

static BlazeKernel *compile(BlazeContext *ctx, const char *expr, const char **names,
                            const char **types, size_t n) {
    BlazeKernel *k = NULL;
    OK(blaze_compile_expr(ctx, expr, names, types, n, &k));
    return k;
}

/* fillna over a nullable column at offset 5: every missing value is 0, and
 * the result has no validity bitmap. */
static void test_fillna(BlazeContext *ctx, int64_t n) {
    const char *names[] = {"a"}, *types[] = {"N * ?float64"};
    BlazeKernel *k = compile(ctx, "fillna(a, 0.0)", names, types, 1);
    struct ArrowArray in = f64_array(n, 5, 0.5, 1);
    struct ArrowSchema in_s = schema_of("g");
    const struct ArrowArray *arrays[] = {&in};
    const struct ArrowSchema *schemas[] = {&in_s};
    struct ArrowArray out;
    struct ArrowSchema out_s;
    OK(blaze_kernel_call_arrow(k, arrays, schemas, 1, &out, &out_s));
    CHECK(in.release != NULL && in_s.release != NULL, "blaze released a borrowed input");
    CHECK(strcmp(out_s.format, "g") == 0, "result format %s", out_s.format);
    CHECK(out.length == n && out.null_count == 0 && out.n_buffers == 2,
          "result length %lld, null_count %lld", (long long)out.length,
          (long long)out.null_count);
    for (int64_t i = 0; i < n; i++) {
        int64_t j = i + 5;
        double want = missing_at(j) ? 0.0 : (double)j * 0.5;
        CHECK(valid_bit(&out, i), "element %lld is missing", (long long)i);
        CHECK(f64_at(&out, i) == want, "element %lld is %g, not %g", (long long)i,
              f64_at(&out, i), want);
    }
    release_result(&out, &out_s);
    in.release(&in);
    in_s.release(&in_s);
    OK(blaze_kernel_free(k));
    printf("fillna on %lld nullable doubles at offset 5: ok\n", (long long)n);
}

/* a + b over two nullable columns at offsets 3 and 11: the result is
 * missing where either is, bit by bit, and flagged nullable. */
static void test_add(BlazeContext *ctx, int64_t n) {
    const char *names[] = {"a", "b"}, *types[] = {"N * ?float64", "N * ?float64"};
    BlazeKernel *k = compile(ctx, "a + b", names, types, 2);
    struct ArrowArray a = f64_array(n, 3, 1.0, 1), b = f64_array(n, 11, 2.0, 1);
    struct ArrowSchema as = schema_of("g"), bs = schema_of("g");
    const struct ArrowArray *arrays[] = {&a, &b};
    const struct ArrowSchema *schemas[] = {&as, &bs};
    struct ArrowArray out;
    struct ArrowSchema out_s;
    OK(blaze_kernel_call_arrow(k, arrays, schemas, 2, &out, &out_s));
    CHECK(out_s.flags & ARROW_FLAG_NULLABLE, "an option result is flagged nullable");
    CHECK(out.buffers[0] != NULL, "the result has a validity bitmap");
    int64_t nulls = 0;
    for (int64_t i = 0; i < n; i++) {
        int valid = !missing_at(i + 3) && !missing_at(i + 11);
        CHECK(valid_bit(&out, i) == valid, "bit %lld is %d", (long long)i, valid_bit(&out, i));
        if (valid) {
            double want = (double)(i + 3) + 2.0 * (double)(i + 11);
            CHECK(f64_at(&out, i) == want, "element %lld", (long long)i);
        } else {
            nulls++;
        }
    }
    CHECK(out.null_count == -1 || out.null_count == nulls, "null_count %lld, counted %lld",
          (long long)out.null_count, (long long)nulls);
    release_result(&out, &out_s);
    a.release(&a);
    b.release(&b);
    as.release(&as);
    bs.release(&bs);
    OK(blaze_kernel_free(k));
    printf("a + b with nulls: ok\n");
}

/* Reductions with pandas' semantics: sum skips the missing values; the
 * mean of no values is missing (a length-1 array with a null). */
static void test_reductions(BlazeContext *ctx, int64_t n) {
    const char *names[] = {"a"}, *types[] = {"N * ?float64"};
    BlazeKernel *sum = compile(ctx, "sum(a)", names, types, 1);
    BlazeKernel *mean = compile(ctx, "mean(a)", names, types, 1);
    struct ArrowArray in = f64_array(n, 7, 1.0, 1);
    struct ArrowSchema in_s = schema_of("g");
    const struct ArrowArray *arrays[] = {&in};
    const struct ArrowSchema *schemas[] = {&in_s};
    double want = 0.0;
    for (int64_t j = 7; j < 7 + n; j++)
        if (!missing_at(j)) want += (double)j;
    struct ArrowArray out;
    struct ArrowSchema out_s;
    OK(blaze_kernel_call_arrow(sum, arrays, schemas, 1, &out, &out_s));
    CHECK(out.length == 1 && valid_bit(&out, 0), "sum is one present value");
    CHECK(fabs(f64_at(&out, 0) - want) <= 1e-12 * want, "sum %g, not %g", f64_at(&out, 0), want);
    release_result(&out, &out_s);

    /* All missing: offset 3, length 1 (element 3 is missing). */
    struct ArrowArray none = f64_array(1, 3, 1.0, 1);
    const struct ArrowArray *none_arrays[] = {&none};
    OK(blaze_kernel_call_arrow(mean, none_arrays, schemas, 1, &out, &out_s));
    CHECK(out.length == 1 && !valid_bit(&out, 0), "the mean of no values is missing");
    release_result(&out, &out_s);
    OK(blaze_kernel_call_arrow(sum, none_arrays, schemas, 1, &out, &out_s));
    CHECK(out.length == 1 && valid_bit(&out, 0) && f64_at(&out, 0) == 0.0,
          "the sum of no values is 0");
    release_result(&out, &out_s);

    in.release(&in);
    none.release(&none);
    in_s.release(&in_s);
    OK(blaze_kernel_free(sum));
    OK(blaze_kernel_free(mean));
    printf("sum and mean over options: ok\n");
}

/* Bad calls: a status and a message, the outputs left released, the
 * inputs untouched. */
static int bad_calls(BlazeContext *ctx) {
    const char *names[] = {"a"}, *types[] = {"N * ?float64"}, *plain[] = {"N * float64"};
    BlazeKernel *k = compile(ctx, "fillna(a, 0.0)", names, types, 1);
    BlazeKernel *kp = compile(ctx, "a * 2.0", names, plain, 1);
    struct ArrowArray in = f64_array(10, 2, 1.0, 1);
    struct ArrowSchema g = schema_of("g"), l = schema_of("l"), released = schema_of("g");
    released.release = NULL;
    const struct ArrowArray *arrays[] = {&in};
    const struct ArrowSchema *schemas[] = {&g};
    const struct ArrowSchema *wrong[] = {&l};
    const struct ArrowSchema *gone[] = {&released};
    const struct ArrowArray *nulls[] = {NULL};
    struct ArrowArray out;
    struct ArrowSchema out_s;
    int n = 0;
#define BAD(call, status, text)                                                        \
    do {                                                                               \
        BlazeStatus s_ = (call);                                                       \
        CHECK(s_ == (status), "%s gave %s: %s", #call, blaze_status_name(s_),          \
              blaze_last_error_message());                                             \
        CHECK(strstr(blaze_last_error_message(), (text)) != NULL, "%s: message %s", #call, \
              blaze_last_error_message());                                             \
        CHECK(out.release == NULL && out_s.release == NULL, "%s left an output", #call); \
        n++;                                                                           \
    } while (0)
    BAD(blaze_kernel_call_arrow(k, arrays, wrong, 1, &out, &out_s), BLAZE_ERR_DTYPE,
        "input `a` has type `N * ?float64`, which takes Arrow format \"g\" (float64), but its "
        "schema gives format \"l\" (int64)");
    BAD(blaze_kernel_call_arrow(k, arrays, gone, 1, &out, &out_s), BLAZE_ERR_INVALID_ARGUMENT,
        "is released");
    BAD(blaze_kernel_call_arrow(k, nulls, schemas, 1, &out, &out_s), BLAZE_ERR_NULL_POINTER,
        "arrays[0] (for input `a`) is NULL");
    BAD(blaze_kernel_call_arrow(k, NULL, schemas, 1, &out, &out_s), BLAZE_ERR_NULL_POINTER,
        "the arrays array is NULL");
    BAD(blaze_kernel_call_arrow(kp, arrays, schemas, 1, &out, &out_s), BLAZE_ERR_DTYPE,
        "not an option");
    BAD(blaze_kernel_call_arrow(k, arrays, schemas, 2, &out, &out_s), BLAZE_ERR_INVALID_ARGUMENT,
        "n_inputs = 2");
    BAD(blaze_kernel_call_arrow(NULL, arrays, schemas, 1, &out, &out_s), BLAZE_ERR_NULL_POINTER,
        "kernel");
#undef BAD
    CHECK(blaze_kernel_call_arrow(k, arrays, schemas, 1, NULL, &out_s) == BLAZE_ERR_NULL_POINTER,
          "NULL out_array");
    n++;
    CHECK(in.release != NULL, "a failed call released its input");
    in.release(&in);
    g.release(&g);
    l.release(&l);
    OK(blaze_kernel_free(k));
    OK(blaze_kernel_free(kp));
    return n;
}

int main(int argc, char **argv) {
    int64_t n = argc > 1 ? atoll(argv[1]) : 1000;
    CHECK(n > 0, "N must be positive");
    BlazeContext *ctx = NULL;
    OK(blaze_context_create(&ctx));
    test_fillna(ctx, n);
    test_add(ctx, n);
    test_reductions(ctx, n);
    int bad = bad_calls(ctx);
    printf("bad arrow calls rejected: %d\n", bad);
    OK(blaze_context_free(ctx));
    /* Every input released once, by this program. */
    CHECK(arrays_released == 6, "%d arrays released", arrays_released);
    CHECK(schemas_released == 6, "%d schemas released", schemas_released);
    printf("test_arrow: all passed\n");
    return 0;
}
