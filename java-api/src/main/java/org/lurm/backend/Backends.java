package org.lurm.backend;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;
import java.util.logging.Logger;

/**
 * Finds backends through {@link ServiceLoader} and picks one.
 *
 * <p>Automatic selection takes the available provider with the highest score and logs, at INFO, why every
 * better-scored provider was passed over. An override ({@code -Dlurm.backend=NAME}, else the environment
 * variable {@code LURM_BACKEND}) forces one provider and fails with every reason when it cannot run: never a
 * silent fallback.
 *
 * <p>Thread-safe (stateless).
 */
public final class Backends {
    private static final Logger LOG = Logger.getLogger(Backends.class.getName());

    private Backends() {
    }

    /** Every provider on the class path, best score first. */
    public static List<BackendProvider> providers() {
        List<BackendProvider> list = new ArrayList<>();
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader())) list.add(p);
        list.sort(Comparator.comparingInt(BackendProvider::score).reversed().thenComparing(BackendProvider::name));
        return list;
    }

    /** The provider named by {@code -Dlurm.backend} or {@code LURM_BACKEND}, or null for automatic selection. */
    public static String requestedName() {
        String n = System.getProperty("lurm.backend");
        if (n == null || n.isBlank()) n = System.getenv("LURM_BACKEND");
        if (n == null || n.isBlank() || n.equalsIgnoreCase("auto")) return null;
        return n.trim().toLowerCase(Locale.ROOT);
    }

    /** The override if one is set, else the best available provider. */
    public static BackendProvider select() {
        return select(requestedName());
    }

    /** @param name a provider name, or null for the best available one */
    public static BackendProvider select(String name) {
        List<BackendProvider> all = providers();
        if (name != null) {
            for (BackendProvider p : all) {
                if (p.name().equalsIgnoreCase(name)) {
                    Availability a = p.availability();
                    if (!a.available()) {
                        throw new BackendUnavailableException("backend '" + p.name() + "' was requested (lurm.backend / LURM_BACKEND) but cannot run: "
                                + String.join("; ", a.reasons()));
                    }
                    return p;
                }
            }
            throw new BackendUnavailableException("backend '" + name + "' was requested (lurm.backend / LURM_BACKEND) but no such backend is installed; known: "
                    + all.stream().map(BackendProvider::name).toList());
        }
        StringBuilder why = new StringBuilder();
        for (BackendProvider p : all) {
            Availability a = p.availability();
            if (a.available()) {
                if (!why.isEmpty()) LOG.info("lurm backend '" + p.name() + "' selected; passed over: " + why);
                return p;
            }
            if (!why.isEmpty()) why.append("; ");
            why.append(p.name()).append(": ").append(String.join(", ", a.reasons()));
        }
        throw new BackendUnavailableException("no lurm backend can run here: " + why);
    }

    /** Creates the selected backend with all available processors. */
    public static Backend create() {
        return select().create(Runtime.getRuntime().availableProcessors());
    }

    /** A one-line report per provider, for {@code lurm inspect --backends} and diagnostics. */
    public static List<String> describe() {
        List<String> out = new ArrayList<>();
        for (BackendProvider p : providers()) {
            Availability a = p.availability();
            out.add(p.name() + " (score " + p.score() + "): " + (a.available() ? "available " + p.capabilities() : "unavailable: " + String.join("; ", a.reasons())));
        }
        return out;
    }
}
