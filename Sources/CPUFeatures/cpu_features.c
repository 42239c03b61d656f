// CPUID and XGETBV checks for the kernel sets of NNCore (Intel SDM vol. 1, 14.3 and 15.2:
// "Detection of AVX-512 instructions" — the CPUID feature bits alone are not enough, the OS
// must also have enabled the register state in XCR0).
#include "cpu_features.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static unsigned long long read_xcr0(void) {
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

// Leaf 1 ECX: FMA (bit 12), OSXSAVE (27), AVX (28). Leaf 7 EBX: AVX2 (5), AVX512F (16),
// AVX512DQ (17), AVX512BW (30), AVX512VL (31).
static int leaves(unsigned int *ecx1, unsigned int *ebx7) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    *ecx1 = c;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    *ebx7 = b;
    return 1;
}

int nn_cpu_has_avx2_fma(void) {
    unsigned int ecx1, ebx7;
    if (!leaves(&ecx1, &ebx7)) return 0;
    const unsigned int need1 = (1u << 12) | (1u << 27) | (1u << 28);
    if ((ecx1 & need1) != need1 || !(ebx7 & (1u << 5))) return 0;
    // XCR0 bits 1 (SSE) and 2 (AVX upper halves).
    return (read_xcr0() & 0x6) == 0x6;
}

int nn_cpu_has_avx512(void) {
    unsigned int ecx1, ebx7;
    if (!nn_cpu_has_avx2_fma() || !leaves(&ecx1, &ebx7)) return 0;
    const unsigned int need7 = (1u << 16) | (1u << 17) | (1u << 30) | (1u << 31);
    if ((ebx7 & need7) != need7) return 0;
    // XCR0 bits 5 (opmask), 6 (upper halves of zmm0-15), 7 (zmm16-31).
    return (read_xcr0() & 0xE6) == 0xE6;
}
#else
// Elsewhere both kernel modules are built without x86 flags; the 8-wide one is the portable
// default, so it counts as present.
int nn_cpu_has_avx2_fma(void) { return 1; }
int nn_cpu_has_avx512(void) { return 0; }
#endif
