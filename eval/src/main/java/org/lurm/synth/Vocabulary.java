package org.lurm.synth;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Pronounceable pseudo-words for item titles: a vocabulary per topic plus shared words, all distinct, so that
 * a title's topic words identify its topic and only the shared words blur it. Immutable after construction.
 */
final class Vocabulary {
    private static final String[] ONSETS = {"b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z",
            "br", "tr", "st", "ch", "sh", "th", "gl", "pr"};
    private static final String[] NUCLEI = {"a", "e", "i", "o", "u", "ai", "ou", "ea"};
    private static final String[] CODAS = {"", "", "n", "r", "s", "l", "x", "nd"};

    final List<List<String>> topicWords;
    final List<String> sharedWords;

    Vocabulary(int topics, int wordsPerTopic, int shared, SplittableRandom r) {
        Set<String> used = new HashSet<>();
        List<List<String>> tw = new ArrayList<>(topics);
        for (int t = 0; t < topics; t++) {
            List<String> words = new ArrayList<>(wordsPerTopic);
            for (int i = 0; i < wordsPerTopic; i++) words.add(fresh(r, used));
            tw.add(List.copyOf(words));
        }
        List<String> sw = new ArrayList<>(shared);
        for (int i = 0; i < shared; i++) sw.add(fresh(r, used));
        topicWords = List.copyOf(tw);
        sharedWords = List.copyOf(sw);
    }

    /** A word not yet used. About 4 * 10^7 possible words, so even the largest vocabulary allowed retries rarely. */
    private static String fresh(SplittableRandom r, Set<String> used) {
        StringBuilder sb = new StringBuilder(12);
        while (true) {
            sb.setLength(0);
            int syllables = 2 + r.nextInt(2);
            for (int s = 0; s < syllables; s++) {
                sb.append(ONSETS[r.nextInt(ONSETS.length)]).append(NUCLEI[r.nextInt(NUCLEI.length)]);
            }
            sb.append(CODAS[r.nextInt(CODAS.length)]);
            String w = sb.toString();
            if (used.add(w)) return w;
        }
    }
}
