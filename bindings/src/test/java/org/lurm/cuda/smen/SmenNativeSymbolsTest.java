package org.lurm.cuda.smen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.lurm.cuda.CudaFn;
import org.lurm.cuda.DeviceTests;
import org.lurm.cuda.NativeLibrary;
import org.lurm.testing.TestData;

/**
 * Runs without a GPU (CI): the SMEN functions the Java side binds exist in the built library, their Java
 * signatures match the C prototypes of {@code lurm_smen.h} argument by argument, the scratch sizes agree between
 * Java and C, and argument checks come back as cudaErrorInvalidValue instead of a launch.
 */
class SmenNativeSymbolsTest {
    static final Path HEADER = Path.of("../native-kernels/include/lurm_smen.h");

    @Test
    void everyBoundFunctionIsExportedByTheLibrary() {
        DeviceTests.nativeLibrary();
        NativeLibrary lib = NativeLibrary.load();
        List<String> missing = new ArrayList<>();
        for (CudaFn f : SmenNative.functions()) if (!lib.hasSymbol(f.symbol())) missing.add(f.symbol());
        assertTrue(missing.isEmpty(), "missing from " + lib.path() + ": " + missing);
    }

    /** C prototypes of lurm_smen.h: name -> Java carrier types of the arguments. */
    static Map<String, List<Class<?>>> prototypes(String header) {
        Map<String, List<Class<?>>> out = new TreeMap<>();
        String code = header.replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\n]*", "");
        Matcher m = Pattern.compile("(?s)\\b(int)\\s+(lurm_smen_\\w+)\\s*\\(([^)]*)\\)\\s*;").matcher(code);
        while (m.find()) {
            List<Class<?>> args = new ArrayList<>();
            for (String a : m.group(3).split(",")) {
                String t = a.trim();
                if (t.equals("void") || t.isEmpty()) continue;
                if (t.contains("*")) args.add(MemorySegment.class);
                else if (t.startsWith("long long") || t.startsWith("unsigned long long")) args.add(long.class);
                else if (t.startsWith("int")) args.add(int.class);
                else if (t.startsWith("float")) args.add(float.class);
                else if (t.startsWith("double")) args.add(double.class);
                else throw new AssertionError("unknown C argument type in " + m.group(2) + ": " + t);
            }
            out.put(m.group(2), args);
        }
        return out;
    }

    @Test
    void javaSignaturesMatchTheHeader() throws IOException {
        DeviceTests.requireBuilt(Files.isRegularFile(HEADER), () -> "lurm_smen.h not next to this module (running from jars): " + HEADER.toAbsolutePath());
        Map<String, List<Class<?>>> protos = prototypes(Files.readString(HEADER));
        List<String> declared = new ArrayList<>();
        for (CudaFn f : SmenNative.functions()) {
            declared.add(f.symbol());
            List<Class<?>> c = protos.get(f.symbol());
            assertTrue(c != null, f.symbol() + " is bound in SmenNative but not declared in lurm_smen.h");
            assertEquals(c, f.descriptor().toMethodType().parameterList(), f.symbol() + ": Java and C arguments differ");
        }
        assertEquals(new TreeMap<>(protos).keySet(), new java.util.TreeSet<>(declared), "every function of lurm_smen.h is bound, and nothing else");
    }

    @Test
    void scratchSizesAgreeBetweenJavaAndC() {
        DeviceTests.nativeLibrary();
        NativeLibrary lib = NativeLibrary.load();
        SplittableRandom r = new SplittableRandom(TestData.seed("scratchSizesAgreeBetweenJavaAndC"));
        for (int i = 0; i < 50; i++) {
            int rows = i == 0 ? 0 : r.nextInt(1, 100_000), h = r.nextInt(1, 129), m = r.nextInt(1, 33), d = r.nextInt(1, 33), users = r.nextInt(2, 5000);
            long[] c = SmenNative.nativeSizes(lib, rows, h, m, d, users);
            assertArrayEquals(new long[] {SmenNative.attentionBackwardBlocks(rows), SmenNative.projectionBackwardScratch(h, m, d, rows),
                    SmenNative.infoNceScratch(users), SmenNative.predictScratch(users, Math.max(1, rows), h)}, c, "rows " + rows + ", h " + h + ", M " + m + ", d' " + d + ", B " + users);
        }
    }

    @Test
    void argumentsOutsideTheLimitsAreRejectedBeforeAnyLaunch() {
        DeviceTests.nativeLibrary();
        NativeLibrary lib = NativeLibrary.load();
        MemorySegment n = MemorySegment.NULL;
        // h = 129 > LURM_SMEN_MAX_H: cudaErrorInvalidValue (1), with or without a device.
        assertEquals(1, SmenNative.ATTENTION_FORWARD.callRaw(lib, n, n, 129, 8, 4, n, n, n, n, n, n, n, 0, n, n));
        assertEquals(1, SmenNative.TIME_FORWARD.callRaw(lib, n, n, 33, 16, 1, 4, 3, n, n, n, n, n, n));
        assertEquals(1, SmenNative.INFONCE.callRaw(lib, n, n, 1, 8, 0.1f, 1f, n, n, n, n, n), "InfoNCE needs two users");
        assertEquals(1, SmenNative.ADAM.callRaw(lib, n, n, n, n, 10L, 5L, n, 0, 4, 0L, n, 0.9f, 0.999f, 1e-8f, 1e-3f, 1f, n));
        // Interest prediction: no candidates, or a gradient asked for only in part (the pointers are never read:
        // the checks come first).
        MemorySegment x = MemorySegment.ofAddress(256);
        assertEquals(1, SmenNative.PREDICT.callRaw(lib, n, n, 64, 8, 16, 4, n, n, 0, n, 1f, x, n, n, n, x, n), "no candidates");
        assertEquals(1, SmenNative.PREDICT.callRaw(lib, n, n, 64, 8, 16, 4, n, n, 5, n, 1f, x, x, n, x, x, n), "dz and gradW without gradV");
        assertEquals(1, SmenNative.PREDICT.callRaw(lib, n, n, 129, 8, 16, 4, n, n, 5, n, 1f, n, n, n, n, n, n), "h outside the limits");
        assertEquals(1, SmenNative.PREDICT_TARGETS.callRaw(lib, n, n, n, n, 4, 0, n, 5, 5, n, n), "no scales");
        assertEquals(1, SmenNative.PREDICT_TARGETS.callRaw(lib, n, n, n, n, 4, 1, n, 5, -1, n, n), "a negative target limit");
        // Empty work is a no-op that succeeds without touching CUDA.
        assertEquals(0, SmenNative.ATTENTION_FORWARD.callRaw(lib, n, n, 64, 8, 0, n, n, n, n, n, n, n, 0, n, n));
        assertEquals(0, SmenNative.GEMM.callRaw(lib, 0, 0, 0, 4, 4, 1f, n, 4, 0L, n, 4, 0L, 0f, n, 4, 0L, 1, n));
    }
}
