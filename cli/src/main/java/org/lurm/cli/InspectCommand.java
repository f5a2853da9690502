package org.lurm.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.lurm.LurmModel;
import org.lurm.backend.Backend;
import org.lurm.backend.cpu.Parallel;
import org.lurm.boi.BoiSet;
import org.lurm.boi.Scale;
import org.lurm.events.EventTable;
import org.lurm.events.IdDictionary;
import org.lurm.events.ItemCatalog;
import org.lurm.memory.I32Array;
import org.lurm.memory.MemoryScope;
import org.lurm.model.ModelFile;
import org.lurm.smen.SmenExplanation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lurm inspect}: what a model learned, and why a user's representation looks as it does. */
@Command(name = "inspect", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Look inside a model: its configuration; a user's anchors and the interests each picked (needs the",
                "user's events); an anchor's closest interests; an interest's items (titles when a catalogue is given,",
                "ranked by how often the events name them)."},
        footer = {"", "Examples:",
                "  lurm inspect --model model.lurm                                   # sizes, scales, interests",
                "  lurm inspect --model model.lurm --events events.csv --user 42     # user 42's anchors and interests",
                "  lurm inspect --model model.lurm --anchor 3",
                "  lurm inspect --model ml100k.lurm --movielens ../shared/data/movielens-100k --interest 17   # with movie titles"})
final class InspectCommand implements Callable<Integer>, Main.HasCommonOptions {
    @Spec
    CommandSpec spec;
    @Mixin
    EventInput input;
    @Mixin
    CommonOptions common;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE", required = true, description = "Model file written by `lurm fit`.")
    Path modelFile;

    @Option(names = "--user", paramLabel = "ID", description = "Explain this user's representation (needs --events or --movielens).")
    String user;

    @Option(names = "--anchor", paramLabel = "M", description = "The interests closest to anchor M (0-based).")
    Integer anchor;

    @Option(names = "--interest", paramLabel = "K", description = "The items of interest K.")
    Integer interest;

    @Option(names = "--top", paramLabel = "N", description = "Interests per anchor and items per interest to show (default: ${DEFAULT-VALUE}).", defaultValue = "5")
    int top;

    @Override
    public CommonOptions common() {
        return common;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (top < 1) throw CliException.usage("--top must be >= 1, got " + top);
        try (ProgressBars progress = common.progressBars(spec.commandLine().getErr()); MemoryScope scope = MemoryScope.root("inspect");
             Parallel par = new Parallel(common.threadCount())) {
            LurmModel model = LurmModel.load(modelFile, scope);
            int k = model.smen().layout().boiInterests(); // the BoI interests; a sink interest (index k) has no items
            int m = model.smen().config().anchors();
            I32Array itemInterest = ModelFile.open(modelFile, scope).i32("itemInterest");
            EventInput.Loaded data = input.given() ? input.load(scope, progress) : null;
            ItemCatalog catalog = titles(model, data, progress);
            long[] counts = itemCounts(model.items(), data == null ? null : data.events());
            progress.close();
            Interests interests = new Interests(model.items(), itemInterest, k, catalog, counts);
            if (anchor != null && (anchor < 0 || anchor >= m)) throw CliException.usage("--anchor must be in [0, " + m + "), got " + anchor);
            if (interest != null && (interest < 0 || interest >= k)) throw CliException.usage("--interest must be in [0, " + k + "), got " + interest);
            boolean any = false;
            if (user != null) {
                any = true;
                if (data == null) throw CliException.usage("--user needs the user's events: pass --events FILE (or --movielens DIR)");
                int u = data.events().users().indexOf(user);
                if (u < 0) throw CliException.badInput("user '" + user + "' has no events in " + data.source());
                BoiSet rows;
                try (Backend backend = common.createBackend(null)) {
                    rows = model.aggregate(data.events(), true, backend, scope);
                }
                long nRows = rows.userRowStart(u + 1) - rows.userRowStart(u);
                out.printf(Locale.ROOT, "user %s: %,d BoI rows; what each of the %d anchors picked (interest: share of the anchor's vector):%n", user, nRows, m);
                for (SmenExplanation.AnchorPick p : SmenExplanation.explain(model.smen(), rows, u, top, par)) {
                    out.printf("  anchor %d%n", p.anchor());
                    for (int i = 0; i < p.interests().length; i++) {
                        out.printf(Locale.ROOT, "    %5.2f  interest %-6d %s%n", p.weights()[i], p.interests()[i], interests.line(p.interests()[i], 3));
                    }
                }
            }
            if (anchor != null) {
                any = true;
                SmenExplanation.AnchorPick p = SmenExplanation.anchorSummaries(model.smen(), top).get(anchor);
                out.printf("anchor %d: the interests closest to it (cosine of V[k] and A_m):%n", anchor);
                for (int i = 0; i < p.interests().length; i++) {
                    out.printf(Locale.ROOT, "  %6.3f  interest %-6d %s%n", p.weights()[i], p.interests()[i], interests.line(p.interests()[i], 3));
                }
            }
            if (interest != null) {
                any = true;
                int[] items = interests.items(interest);
                out.printf(Locale.ROOT, "interest %d: %,d items%s%n", interest, items.length,
                        counts == null ? " (pass the events to rank them by how often they occur)" : ", most frequent in the events first");
                for (int i = 0; i < Math.min(top, items.length); i++) {
                    out.printf(Locale.ROOT, "  %-12s %s%s%n", model.items().id(items[i]), interests.title(items[i]),
                            counts == null ? "" : String.format(Locale.ROOT, "  (%,d events)", counts[items[i]]));
                }
            }
            if (!any) overview(out, model, interests, k, m, scope);
            return Exit.OK;
        }
    }

    private void overview(PrintWriter out, LurmModel model, Interests interests, int k, int m, MemoryScope scope) {
        var c = model.smen().config();
        Map<String, Object> h = ModelFile.open(modelFile, scope).headerJson();
        out.printf(Locale.ROOT, "model %s%n", modelFile);
        out.printf(Locale.ROOT, "  items     %,d, in K = %,d interests%n", model.items().size(), k);
        List<String> sc = new ArrayList<>();
        for (Scale s : model.boiConfig().scales()) sc.add(s.name() + " (T_max " + s.tMax() + ")");
        out.printf("  scales    %s%n", String.join(", ", sc));
        out.printf(Locale.ROOT, "  SMEN      M = %d anchors x d' = %d: a user is %d floats (h = %d)%n", m, c.anchorDim(), c.outputWidth(), c.h());
        if (h.get("training") instanceof Map<?, ?> t) out.printf("  training  %s%n", t);
        if (h.get("provenance") instanceof Map<?, ?> p) out.printf("  made by   %s%n", p);
        int[] sizes = new int[k];
        for (int i = 0; i < model.items().size(); i++) {
            int q = interests.itemInterest.get(i);
            if (q >= 0) sizes[q]++;
        }
        Integer[] order = new Integer[k];
        for (int i = 0; i < k; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Integer.compare(sizes[b], sizes[a]));
        out.println("  largest interests:");
        for (int i = 0; i < Math.min(top, k); i++) out.printf(Locale.ROOT, "    interest %-6d %3d items: %s%n", order[i], sizes[order[i]], interests.line(order[i], 3));
        out.println("More: --user ID (with --events), --anchor M, --interest K; see lurm inspect --help.");
    }

    private ItemCatalog titles(LurmModel model, EventInput.Loaded data, ProgressBars progress) throws java.io.IOException {
        IdDictionary ids = model.items().copy();
        if (data != null && data.catalog() != null) {
            ItemCatalog c = new ItemCatalog(ids);
            ItemCatalog src = data.catalog();
            for (int i = 0; i < src.items().size(); i++) if (src.has(i)) c.put(src.items().id(i), src.title(i), src.categories(i));
            return c;
        }
        return input.movielens == null && input.items == null ? null : input.catalogOnly(ids, progress);
    }

    /** Events per model item, or null without events. */
    private static long[] itemCounts(IdDictionary modelItems, EventTable events) {
        if (events == null) return null;
        int[] map = new int[events.numItems()];
        for (int i = 0; i < map.length; i++) map[i] = modelItems.indexOf(events.items().id(i));
        long[] c = new long[modelItems.size()];
        for (long e = 0; e < events.size(); e++) {
            int i = map[events.item(e)];
            if (i >= 0) c[i]++;
        }
        return c;
    }

    /** Items per interest, with titles. */
    private record Interests(IdDictionary ids, I32Array itemInterest, int k, ItemCatalog catalog, long[] counts) {
        int[] items(int q) {
            List<Integer> list = new ArrayList<>();
            for (int i = 0; i < ids.size(); i++) if (itemInterest.get(i) == q) list.add(i);
            if (counts != null) list.sort((a, b) -> Long.compare(counts[b], counts[a]));
            return list.stream().mapToInt(Integer::intValue).toArray();
        }

        String title(int item) {
            return catalog != null && item < catalog.items().size() && catalog.has(item) && !catalog.title(item).isEmpty() ? catalog.title(item) : "";
        }

        String line(int q, int n) {
            // SmenLayout's sink interest (index K): a row's weight the anchor gives to the sink rather than to interests
            if (q >= k) return "(volume sink: the share a light row leaves to it; heavy rows give it less)";
            int[] it = items(q);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < Math.min(n, it.length); i++) {
                String t = title(it[i]);
                sb.append(i == 0 ? "" : " | ").append(t.isEmpty() ? ids.id(it[i]) : t);
            }
            if (it.length > n) sb.append(" | ...");
            return sb.toString();
        }
    }
}
