package org.lurm.embed;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.lurm.backend.Backend;
import org.lurm.backend.Backends;
import org.lurm.events.EventTableBuilder;
import org.lurm.events.IdDictionary;
import org.lurm.events.ItemCatalog;

/** Shared helpers of the embedding tests: backends and a minimal MovieLens-100k loader (the readers live elsewhere). */
final class EmbedTestSupport {
    private EmbedTestSupport() {
    }

    static Backend backend(int threads) {
        return Backends.select("cpu-scalar").create(threads);
    }

    /** The best available CPU backend ("cpu" with the Vector API, else "cpu-scalar"). */
    static Backend bestCpu(int threads) {
        return (Backends.select("cpu").availability().available() ? Backends.select("cpu") : Backends.select("cpu-scalar")).create(threads);
    }

    /** MovieLens-100k: events (weight 1) of u.data, and a catalogue of u.item (title + genre names). */
    record MovieLens(EventTableBuilder events, ItemCatalog catalog, List<List<String>> genresByItem, int[] genreMask, List<String> genreNames) {
    }

    static MovieLens movieLens100k(Path dir) throws IOException {
        List<String> genreNames = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("u.genre"), StandardCharsets.ISO_8859_1)) {
            if (line.isBlank()) continue;
            genreNames.add(line.substring(0, line.lastIndexOf('|')));
        }
        IdDictionary items = new IdDictionary(2000);
        ItemCatalog catalog = new ItemCatalog(items);
        List<List<String>> genres = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(dir.resolve("u.item"), StandardCharsets.ISO_8859_1)) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank()) continue;
                String[] f = line.split("\\|", -1);
                List<String> g = new ArrayList<>();
                for (int k = 0; k < genreNames.size(); k++) if (f[5 + k].equals("1")) g.add(genreNames.get(k));
                int idx = catalog.put(f[0], f[1], g);
                while (genres.size() <= idx) genres.add(List.of());
                genres.set(idx, g);
            }
        }
        EventTableBuilder b = new EventTableBuilder(new IdDictionary(1000), items, EventTableBuilder.defaultTypes());
        try (BufferedReader r = Files.newBufferedReader(dir.resolve("u.data"), StandardCharsets.US_ASCII)) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank()) continue;
                String[] f = line.split("\t");
                b.add(f[0], f[1], Long.parseLong(f[3]), 1f);
            }
        }
        int[] mask = new int[genres.size()];
        for (int i = 0; i < mask.length; i++) for (String g : genres.get(i)) mask[i] |= 1 << genreNames.indexOf(g);
        return new MovieLens(b, catalog, genres, mask, genreNames);
    }
}
