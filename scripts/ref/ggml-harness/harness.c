// gemma-ts test-vector harness: runs ggml's own CPU-backend quantization and dot-product routines
// on rows sent by scripts/ref/quant-harness-vectors.py and scripts/ref/quant-weight-vectors.py. Built by
// build.sh; never part of the library.
//
// Protocol (little endian, stdin -> stdout), one command after another until end of input:
//   'A' u32 type, u32 n, f32[n]            -> u32 len, the row as ggml's CPU backend quantizes an
//                                             activation row to `type` (its type_traits_cpu from_float)
//   'D' u32 wtype, u32 n, weight row bytes, f32[n] activations
//                                          -> u32 len, the activation row quantized to wtype's
//                                             vec_dot_type, f32 vec_dot(weights, that row),
//                                             f64 sum |w_i * x_i| (w dequantized by ggml's to_float)
//   'F' u32 type, u32 n, row bytes         -> f32[n], ggml's to_float of the row
//   'Q' u32 type, u32 n, f32[n]            -> u32 len, the row as ggml_quantize_chunk stores a weight
//                                             row without an importance matrix (quantize_row_*_ref,
//                                             what llama-quantize writes)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "ggml.h"
#include "ggml-cpu.h"

static void read_exact(void * dst, size_t size) {
    if (size > 0 && fread(dst, 1, size, stdin) != size) {
        fprintf(stderr, "harness: truncated input\n");
        exit(2);
    }
}

static uint32_t read_u32(void) {
    uint32_t v;
    read_exact(&v, sizeof v);
    return v;
}

static void write_bytes(const void * src, size_t size) {
    if (fwrite(src, 1, size, stdout) != size) {
        fprintf(stderr, "harness: write failed\n");
        exit(3);
    }
}

static void write_row(const void * row, size_t size) {
    const uint32_t len = (uint32_t) size;
    write_bytes(&len, sizeof len);
    write_bytes(row, size);
}

// from_float leaves padding untouched (Q8_K's bsums of an all-zero block, for one), so outputs
// start zeroed to keep them deterministic.
static void * zeroed(size_t size) {
    void * p = calloc(1, size + 64);
    if (!p) {
        fprintf(stderr, "harness: out of memory\n");
        exit(4);
    }
    return p;
}

static void quantize_activation(enum ggml_type type, const float * x, uint32_t n, void * out) {
    const struct ggml_type_traits_cpu * cpu = ggml_get_type_traits_cpu(type);
    if (!cpu->from_float) {
        fprintf(stderr, "harness: type %d has no from_float\n", (int) type);
        exit(5);
    }
    cpu->from_float(x, out, n);
}

// ggml's type table has no to_float for F32 itself: its rows already are floats.
static void to_float(enum ggml_type type, const void * row, float * out, uint32_t n) {
    if (type == GGML_TYPE_F32) {
        memcpy(out, row, sizeof(float) * n);
    } else {
        ggml_get_type_traits(type)->to_float(row, out, n);
    }
}

static void command_activation(void) {
    const enum ggml_type type = (enum ggml_type) read_u32();
    const uint32_t n = read_u32();
    float * x = zeroed(sizeof(float) * n);
    read_exact(x, sizeof(float) * n);
    const size_t size = ggml_row_size(type, n);
    void * out = zeroed(size);
    quantize_activation(type, x, n, out);
    write_row(out, size);
    free(out);
    free(x);
}

static void command_dot(void) {
    const enum ggml_type wtype = (enum ggml_type) read_u32();
    const uint32_t n = read_u32();
    const size_t wsize = ggml_row_size(wtype, n);
    void * w = zeroed(wsize);
    read_exact(w, wsize);
    float * x = zeroed(sizeof(float) * n);
    read_exact(x, sizeof(float) * n);

    const struct ggml_type_traits_cpu * cpu = ggml_get_type_traits_cpu(wtype);
    const enum ggml_type atype = cpu->vec_dot_type;
    const size_t asize = ggml_row_size(atype, n);
    void * act = zeroed(asize);
    quantize_activation(atype, x, n, act);

    float dot = 0.0f;
    cpu->vec_dot((int) n, &dot, 0, w, 0, act, 0, 1);

    float * wf = zeroed(sizeof(float) * n);
    to_float(wtype, w, wf, n);
    double mag = 0.0;
    for (uint32_t i = 0; i < n; i++) {
        mag += fabs((double) wf[i] * (double) x[i]);
    }

    write_row(act, asize);
    write_bytes(&dot, sizeof dot);
    write_bytes(&mag, sizeof mag);
    free(wf);
    free(act);
    free(x);
    free(w);
}

static void command_dequantize(void) {
    const enum ggml_type type = (enum ggml_type) read_u32();
    const uint32_t n = read_u32();
    const size_t size = ggml_row_size(type, n);
    void * row = zeroed(size);
    read_exact(row, size);
    float * out = zeroed(sizeof(float) * n);
    to_float(type, row, out, n);
    write_bytes(out, sizeof(float) * n);
    free(out);
    free(row);
}

static void command_quantize_weight(void) {
    const enum ggml_type type = (enum ggml_type) read_u32();
    const uint32_t n = read_u32();
    float * x = zeroed(sizeof(float) * n);
    read_exact(x, sizeof(float) * n);
    const size_t size = ggml_row_size(type, n);
    void * out = zeroed(size);
    ggml_quantize_chunk(type, x, out, 0, 1, n, NULL);
    write_row(out, size);
    free(out);
    free(x);
}

int main(void) {
    ggml_cpu_init();
    int c;
    while ((c = getchar()) != EOF) {
        switch (c) {
            case 'A': command_activation(); break;
            case 'D': command_dot(); break;
            case 'F': command_dequantize(); break;
            case 'Q': command_quantize_weight(); break;
            default:
                fprintf(stderr, "harness: unknown command %d\n", c);
                return 1;
        }
    }
    fflush(stdout);
    return 0;
}
