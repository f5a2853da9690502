package org.lurm.backend;

/** What a backend can do; callers check before they rely on an op. An enum: immutable and thread-safe. */
public enum Capability {
    /** Dense float32 kernels: dot, axpy, GEMM. */
    DENSE_MATH,
    /** Sparse CSR x dense products (randomized SVD of PPMI / TF-IDF matrices). */
    SPARSE_MATH,
    /** Nearest-centroid assignment (k-means). */
    KMEANS_ASSIGN,
    /** Bag-of-Interests aggregation of events into CSR rows. */
    BOI_AGGREGATION,
    /** Uses SIMD (Vector API on the CPU). */
    SIMD,
    /** Runs on a GPU. */
    GPU
}
