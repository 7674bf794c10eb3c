/* An expression compiled for argument datashapes, results allocated by
 * blaze (DLPack's DLManagedTensor), errors as text, and the generated
 * assembly. */
#include <stdio.h>
#include <string.h>

#include "blaze.h"

#define TRY(call)                                                                   \
    do {                                                                            \
        if ((call) != BLAZE_OK) {                                                   \
            fprintf(stderr, "%s failed:\n%s\n", #call, blaze_last_error_message()); \
            return 1;                                                               \
        }                                                                           \
    } while (0)

int main(void) {
    BlazeContext *ctx;
    TRY(blaze_context_create(&ctx));

    /* Source with a mistake: the message shows where, with a caret. */
    const char *names[2] = {"a", "b"};
    const char *types[2] = {"N * float32", "N * float32"};
    BlazeKernel *k;
    BlazeStatus s = blaze_compile_expr(ctx, "2*a + sin(c)", names, types, 2, &k);
    printf("compiling `2*a + sin(c)`: %s\n%s\n\n", blaze_status_name(s), blaze_last_error_message());
    if (s != BLAZE_ERR_COMPILE) return 1;

    TRY(blaze_compile_expr(ctx, "2*a + sin(b)", names, types, 2, &k));
    const char *signature;
    TRY(blaze_kernel_signature(k, &signature));
    printf("%s\n", signature);

    float a[8], b[8];
    for (int i = 0; i < 8; i++) {
        a[i] = (float)i;
        b[i] = 0.25f * (float)i;
    }
    int64_t shape[1] = {8};
    DLTensor ta = {a, {kDLCPU, 0}, 1, {kDLFloat, 32, 1}, shape, NULL, 0};
    DLTensor tb = {b, {kDLCPU, 0}, 1, {kDLFloat, 32, 1}, shape, NULL, 0};
    const DLTensor *inputs[2] = {&ta, &tb};

    /* blaze allocates the result; its deleter frees it. */
    DLManagedTensor *result;
    TRY(blaze_kernel_call_alloc(k, inputs, 2, &result, 1));
    const float *r = result->dl_tensor.data;
    printf("result (%lld float32s):", (long long)result->dl_tensor.shape[0]);
    for (int64_t i = 0; i < result->dl_tensor.shape[0]; i++) printf(" %.4f", r[i]);
    printf("\n");
    result->deleter(result);

    /* A wrong call: b as float64. */
    DLTensor wrong = tb;
    wrong.dtype.bits = 64;
    const DLTensor *bad[2] = {&ta, &wrong};
    s = blaze_kernel_call_alloc(k, bad, 2, &result, 1);
    printf("calling with b as float64: %s: %s\n", blaze_status_name(s), blaze_last_error_message());
    if (s != BLAZE_ERR_DTYPE) return 1;

    /* The assembly generated for these inputs. */
    char *asm_text;
    TRY(blaze_kernel_emit(k, BLAZE_EMIT_ASM, inputs, 2, &asm_text));
    int vector_calls = 0;
    for (const char *p = asm_text; (p = strstr(p, "_ZGV")) != NULL; p++) vector_calls++;
    printf("assembly: %zu bytes, %d references to libmvec's vector functions\n", strlen(asm_text),
           vector_calls);
    TRY(blaze_string_free(asm_text));

    TRY(blaze_kernel_free(k));
    TRY(blaze_context_free(ctx));
    return 0;
}
