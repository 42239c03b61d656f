#ifndef NNSERVE_CPU_FEATURES_H
#define NNSERVE_CPU_FEATURES_H

/// 1 when the CPU has AVX2 and FMA and the operating system saves the ymm registers.
int nn_cpu_has_avx2_fma(void);

/// 1 when the CPU has AVX512F, AVX512VL, AVX512BW and AVX512DQ (besides AVX2 and FMA) and the
/// operating system saves the zmm and mask registers.
int nn_cpu_has_avx512(void);

#endif
