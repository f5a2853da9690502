/**
 * The CUDA backend: hand-written kernels behind Panama FFM downcalls, cuBLAS through JavaCPP. Nothing is exported:
 * applications reach it as the {@code "cuda"} {@link org.lurm.backend.BackendProvider} through
 * {@code Backends.create()}; the raw native handles stay inside this module.
 */
module org.lurm.cuda {
    requires org.lurm;
    requires java.logging;
    requires org.bytedeco.javacpp;
    requires org.bytedeco.cuda;

    provides org.lurm.backend.BackendProvider with org.lurm.cuda.CudaBackendProvider;
}
