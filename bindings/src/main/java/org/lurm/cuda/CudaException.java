package org.lurm.cuda;

/**
 * A CUDA call failed; carries the op name (the native function, e.g. {@code lurm_malloc}), the cudaError_t
 * code and CUDA's text for it. Immutable.
 */
public final class CudaException extends RuntimeException {
    private final String op;
    private final int code;

    public CudaException(String op, int code, String text) {
        super(op + " failed: CUDA error " + code + " (" + text + ")");
        this.op = op;
        this.code = code;
    }

    public String op() {
        return op;
    }

    public int code() {
        return code;
    }
}
