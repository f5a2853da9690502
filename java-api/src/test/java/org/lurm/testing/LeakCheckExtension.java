package org.lurm.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.lurm.memory.MemoryScope;

/**
 * Fails a test that leaves a {@link MemoryScope} open: after each test, every scope opened during it must be
 * closed; after each class, no scope at all may be open (fixtures included). Also fails a test that leaves a
 * read-ahead thread of an unclosed input stream running ({@code org.lurm.io.Inputs} on gzip). Registered for every test by
 * JUnit's extension auto-detection (src/test/resources/junit-platform.properties).
 */
public final class LeakCheckExtension implements BeforeEachCallback, AfterEachCallback, AfterAllCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(LeakCheckExtension.class);

    @Override
    public void beforeEach(ExtensionContext ctx) {
        ctx.getStore(NS).put("before", new HashSet<>(MemoryScope.openScopes().keySet()));
        ctx.getStore(NS).put("threads", readAheadThreads());
    }

    /** Live threads reading a stream ahead (named "lurm-read-ahead FILE"). */
    private static Set<Thread> readAheadThreads() {
        Set<Thread> t = new HashSet<>();
        for (Thread x : Thread.getAllStackTraces().keySet()) {
            if (x.isAlive() && x.getName().startsWith("lurm-read-ahead ")) t.add(x);
        }
        return t;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void afterEach(ExtensionContext ctx) {
        Set<String> before = (Set<String>) ctx.getStore(NS).get("before");
        Map<String, Throwable> now = MemoryScope.openScopes();
        StringBuilder leaks = new StringBuilder();
        for (Map.Entry<String, Throwable> e : now.entrySet()) {
            if (before == null || !before.contains(e.getKey())) leaks.append("\n  ").append(describe(e.getValue()));
        }
        if (!leaks.isEmpty()) fail("test left memory scopes open:" + leaks);
        Set<Thread> threadsBefore = (Set<Thread>) ctx.getStore(NS).get("threads");
        for (Thread t : readAheadThreads()) {
            if (threadsBefore == null || !threadsBefore.contains(t)) leaks.append("\n  thread ").append(t.getName());
        }
        if (!leaks.isEmpty()) fail("test left input streams open (their read-ahead threads run):" + leaks);
    }

    @Override
    public void afterAll(ExtensionContext ctx) {
        Map<String, Throwable> now = MemoryScope.openScopes();
        if (!now.isEmpty()) {
            StringBuilder sb = new StringBuilder();
            now.values().forEach(t -> sb.append("\n  ").append(describe(t)));
            fail("test class left memory scopes open:" + sb);
        }
    }

    private static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder(t.getMessage());
        for (StackTraceElement el : t.getStackTrace()) {
            if (!el.getClassName().startsWith("org.lurm.memory")) {
                sb.append(" at ").append(el);
                break;
            }
        }
        return sb.toString();
    }
}
