package org.lurm.cuda;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One function of {@code liblurm_kernels.so} that returns a {@code cudaError_t} as int, declared once as a
 * constant ({@code static final CudaFn MALLOC = CudaFn.of("lurm_malloc", MemorySegment.class, long.class)}) and
 * bound lazily to the loaded library on first call. {@link #call} checks the return code and throws
 * {@link CudaException} with the symbol name and CUDA's text for the code.
 *
 * <p>Argument types: {@code int}, {@code long}, {@code float}, {@code double} and {@link MemorySegment}
 * (a pointer, host or device). Every declared function is listed by {@link #all()}, so that a test can check
 * that the built library exports each of them.
 *
 * <p>Thread-safe: binding is idempotent and the handle is published through a volatile field.
 */
public final class CudaFn {
    private static final List<CudaFn> ALL = new CopyOnWriteArrayList<>();

    private final String symbol;
    private final FunctionDescriptor descriptor;
    private volatile Bound bound;

    /**
     * The downcall of one library, and the same handle spread over an Object[] and typed (Object[])Object once,
     * so that a call is one {@code invokeExact} instead of {@code invokeWithArguments}, which adapts the handle
     * on every call (microseconds; a training step makes about 40 calls).
     */
    private record Bound(NativeLibrary lib, MethodHandle handle, MethodHandle spread) {
        Bound(NativeLibrary lib, MethodHandle handle) {
            this(lib, handle, handle.asSpreader(Object[].class, handle.type().parameterCount())
                    .asType(java.lang.invoke.MethodType.methodType(Object.class, Object[].class)));
        }
    }

    private CudaFn(String symbol, FunctionDescriptor descriptor) {
        this.symbol = symbol;
        this.descriptor = descriptor;
    }

    /** Declares a function {@code int symbol(args...)}. */
    public static CudaFn of(String symbol, Class<?>... argTypes) {
        MemoryLayout[] args = new MemoryLayout[argTypes.length];
        for (int i = 0; i < argTypes.length; i++) args[i] = layout(argTypes[i], symbol);
        CudaFn f = new CudaFn(symbol, FunctionDescriptor.of(ValueLayout.JAVA_INT, args));
        ALL.add(f);
        return f;
    }

    private static MemoryLayout layout(Class<?> c, String symbol) {
        if (c == int.class) return ValueLayout.JAVA_INT;
        if (c == long.class) return ValueLayout.JAVA_LONG;
        if (c == float.class) return ValueLayout.JAVA_FLOAT;
        if (c == double.class) return ValueLayout.JAVA_DOUBLE;
        if (c == MemorySegment.class) return ValueLayout.ADDRESS;
        throw new IllegalArgumentException(symbol + ": unsupported native argument type " + c);
    }

    /** Every function declared so far (by the classes initialised so far). */
    public static List<CudaFn> all() {
        return new ArrayList<>(ALL);
    }

    public String symbol() {
        return symbol;
    }

    public FunctionDescriptor descriptor() {
        return descriptor;
    }

    /** Calls the function in the process-wide library and throws {@link CudaException} when it returns non-zero. */
    public void call(Object... args) {
        call(NativeLibrary.get(), args);
    }

    /** Calls the function in {@code lib}; throws {@link CudaException} when it returns non-zero. */
    public void call(NativeLibrary lib, Object... args) {
        int rc = callRaw(lib, args);
        if (rc != 0) throw new CudaException(symbol, rc, lib.errorText(rc));
    }

    /** Calls the function and returns its cudaError_t without checking it. */
    public int callRaw(NativeLibrary lib, Object... args) {
        MethodHandle h = bound(lib).spread;
        if (args.length != descriptor.argumentLayouts().size()) {
            throw new IllegalArgumentException(symbol + " takes " + descriptor.argumentLayouts().size() + " arguments, got " + args.length);
        }
        Object[] a = args.clone();
        for (int i = 0; i < a.length; i++) {
            // Widen boxed numbers to the declared C type (an int literal passed for a long long, say).
            MemoryLayout l = descriptor.argumentLayouts().get(i);
            if (a[i] instanceof Number num && !(a[i] instanceof Long && l == ValueLayout.JAVA_LONG)) {
                if (l == ValueLayout.JAVA_LONG) a[i] = num.longValue();
                else if (l == ValueLayout.JAVA_INT && (a[i] instanceof Integer || a[i] instanceof Short || a[i] instanceof Byte)) a[i] = num.intValue();
                else if (l == ValueLayout.JAVA_FLOAT && !(a[i] instanceof Double)) a[i] = num.floatValue();
                else if (l == ValueLayout.JAVA_DOUBLE) a[i] = num.doubleValue();
            }
            if (a[i] == null) throw new IllegalArgumentException(symbol + ": argument " + i + " is null (use MemorySegment.NULL for a null pointer)");
        }
        try {
            return (int) (Object) h.invokeExact(a);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("native call " + symbol + " failed", t);
        }
    }

    private Bound bound(NativeLibrary lib) {
        Bound b = bound;
        if (b == null || b.lib != lib) {
            b = new Bound(lib, lib.downcall(symbol, descriptor));
            bound = b;
        }
        return b;
    }

    @Override
    public String toString() {
        return symbol + descriptor;
    }
}
