package org.lurm.cuda;

import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.javacpp.FloatPointer;

/**
 * SGEMM through cuBLAS, bound by JavaCPP's CUDA presets ({@code org.bytedeco:cuda}), on device memory allocated
 * by our own library ({@link DeviceBuffer}; both runtimes share the device's primary context). Used where the
 * machine has {@code libcublas}: to check our own {@code lurm_sgemm} against it and as the speed anchor of the
 * GPU benchmarks.
 *
 * <p>JavaCPP's CUDA classes fail at class initialisation without a driver, so {@link #open()} must only be
 * called after {@link NativeLibrary#deviceCount()} confirmed a device; {@link #open()} checks that first, and no
 * JavaCPP class is touched by loading or initialising this class itself.
 *
 * <p>Not thread-safe (one cuBLAS handle); {@link #close()} is idempotent.
 */
public final class CublasGemm implements AutoCloseable {
    private cublasContext handle;

    private CublasGemm(cublasContext handle) {
        this.handle = handle;
    }

    /**
     * Creates a cuBLAS handle on the current device.
     *
     * @throws IllegalStateException when no CUDA device is present (JavaCPP is then never touched)
     * @throws CudaException         when cublasCreate fails
     * @throws LinkageError          when libcublas (or JavaCPP's JNI wrapper of it) cannot be loaded here
     */
    public static CublasGemm open() {
        int n;
        try {
            n = NativeLibrary.load().deviceCount();
        } catch (CudaException e) {
            throw new IllegalStateException("cuBLAS not opened: no usable CUDA driver (" + e.getMessage() + ")");
        }
        if (n == 0) throw new IllegalStateException("cuBLAS not opened: no CUDA device");
        cublasContext h = new cublasContext();
        int rc = cublas.cublasCreate_v2(h);
        if (rc != 0) throw new CudaException("cublasCreate_v2", rc, "cublasStatus_t " + rc);
        return new CublasGemm(h);
    }

    private static FloatPointer device(DeviceBuffer b) {
        long addr = b.pointer().address();
        long n = b.byteSize() / 4;
        return new FloatPointer() {
            {
                address = addr;
                capacity = n;
                limit = n;
            }
        };
    }

    /**
     * C = alpha op(A) op(B) + beta C, row-major with the shapes of {@link org.lurm.backend.Backend#gemm}, computed
     * as the column-major product C^T = op(B)^T op(A)^T; synchronous with respect to the legacy default stream.
     */
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a, DeviceBuffer b, float beta, DeviceBuffer c) {
        if (handle == null) throw new IllegalStateException("cuBLAS handle is closed");
        CudaKernels.need(a, 4L * m * k, "A");
        CudaKernels.need(b, 4L * k * n, "B");
        CudaKernels.need(c, 4L * m * n, "C");
        int opB = transB ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N, ldb = transB ? k : n;
        int opA = transA ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N, lda = transA ? m : k;
        try (FloatPointer al = new FloatPointer(alpha); FloatPointer be = new FloatPointer(beta)) {
            int rc = cublas.cublasSgemm_v2(handle, opB, opA, n, m, k, al, device(b), Math.max(1, ldb), device(a), Math.max(1, lda), be, device(c),
                    Math.max(1, n));
            if (rc != 0) throw new CudaException("cublasSgemm_v2", rc, "cublasStatus_t " + rc);
        }
    }

    @Override
    public void close() {
        if (handle == null) return;
        cublas.cublasDestroy_v2(handle);
        handle = null;
    }
}
