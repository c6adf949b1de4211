#pragma once
// Marks inline math that both the CPU engine and CUDA kernels compile, so the two backends share
// one definition of every formula instead of two that could drift apart.
#if defined(__CUDACC__)
#define ATTRACTOR_HD __host__ __device__ inline
#else
#define ATTRACTOR_HD inline
#endif
