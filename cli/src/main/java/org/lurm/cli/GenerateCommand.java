package org.lurm.cli;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.lurm.backend.cpu.Parallel;
import org.lurm.io.OutputFiles;
import org.lurm.progress.Progress;
import org.lurm.synth.BehaviourType;
import org.lurm.synth.LifeCycleConfig;
import org.lurm.synth.LifeCycleGenerator;
import org.lurm.synth.LifeCycleStream;
import org.lurm.synth.PlantedLabels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lurm generate}: the synthetic life-cycle generator written to an events file that {@code lurm fit}
 * reads, and optionally a labels file of the planted attributes, at any size. Streaming: users are generated in
 * chunks of about {@value #CHUNK_EVENTS} events on all threads, each chunk formatted (and, for a {@code .gz}
 * name, compressed into its own gzip member) on the thread that made it, and the chunks written in user order;
 * memory does not grow with the number of events. Not thread-safe (picocli fills it).
 */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Generate synthetic life-cycle events at any size, for fit, encode and evaluate.",
                "The generator of `lurm demo` (users whose interests drift over years), streamed to a CSV",
                "file that `lurm fit` reads (gzip when the name ends in .gz), with the planted attributes",
                "(segment, age_group, drift_direction) in an optional labels file for `lurm evaluate`.",
                "Memory does not grow with the number of events. Prints the `lurm fit` command to use."},
        footer = {"", "Examples:",
                "  lurm generate --users 10000 -o events.csv.gz --labels labels.csv   # ~10^6 events",
                "  lurm generate --users 1000000 --years 8 --seed 7 -o big.csv.gz      # ~10^8 events",
                "  lurm generate --users 500 --items 300 --topics 12 -o small.csv",
                "", "File format (docs/CLI.md): a header user_id,item_id,ts,type, then one event a line,",
                "users in order, each user's events by time: u<user>,i<item>,<Unix seconds>,<type>",
                "with type view, like or purchase (weights 1, 2, 4: fit with the --type-weights printed)."})
final class GenerateCommand implements Callable<Integer>, Main.HasCommonOptions {
    /** Events per chunk: each chunk is generated, formatted and compressed by one thread. */
    static final int CHUNK_EVENTS = 1 << 17;
    /** The first line of an events file. */
    static final String HEADER = "user_id,item_id,ts,type\n";
    /** Compression level of the gzip members: fastest, since writing, not space, limits large runs. */
    static final int GZIP_LEVEL = Deflater.BEST_SPEED;

    @Spec
    CommandSpec spec;

    @Option(names = "--users", paramLabel = "N", required = true, description = "Users to generate (every user has at least one event).")
    int users;

    @Option(names = "--years", paramLabel = "Y", description = "Length of the history window in years, from 2015-01-01 (default: ${DEFAULT-VALUE}).",
            defaultValue = "5")
    double years;

    @Option(names = "--items", paramLabel = "I", description = "Items in the catalogue (default: min(200000, max(2000, users/5))).")
    Integer items;

    @Option(names = "--topics", paramLabel = "T", description = "Planted topics (default: 40, or items/10 below 400 items, at least 2).")
    Integer topics;

    @Option(names = "--events-per-user", paramLabel = "M",
            description = "Mean of the log-normal number of events per user, before clamping to [1, 20000] (default: ${DEFAULT-VALUE}).",
            defaultValue = "100")
    double eventsPerUser;

    @Option(names = "--seed", paramLabel = "S", description = "Seed: the same options and seed give the same file (default: ${DEFAULT-VALUE}).",
            defaultValue = "42")
    long seed;

    @Option(names = "--labels", paramLabel = "FILE",
            description = "Also write the planted attributes: user_id,segment,age_group,drift_direction (gzip when the name ends in .gz).")
    Path labels;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", required = true, description = "Events file to write (gzip when the name ends in .gz).")
    Path output;

    @Option(names = {"-v", "--verbose"}, description = "Print stack traces of errors.")
    boolean verbose;

    @Option(names = "--progress", paramLabel = "MODE", defaultValue = "auto",
            description = "Progress display on stderr: auto, bar, plain, none (default: ${DEFAULT-VALUE}).")
    String progress;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0", description = "Worker threads (default: all cores).")
    int threads;

    @Override
    public CommonOptions common() {
        CommonOptions c = new CommonOptions();
        c.verbose = verbose;
        c.progress = progress;
        c.threads = threads;
        return c;
    }

    /** The generator config the options describe (the demo preset otherwise). */
    LifeCycleConfig config() {
        if (users < 1) throw CliException.usage("--users must be >= 1, got " + users);
        int nItems = items != null ? items : (int) Math.min(200_000, Math.max(2_000, users / 5L));
        if (nItems < 2) throw CliException.usage("--items must be >= 2, got " + nItems);
        int nTopics = topics != null ? topics : nItems < 400 ? Math.max(2, nItems / 10) : 40;
        if (nTopics < 2) throw CliException.usage("--topics must be >= 2, got " + nTopics);
        if (nTopics > nItems) throw CliException.usage("--topics (" + nTopics + ") must not exceed --items (" + nItems + "): every topic needs an item");
        if (!(years > 0 && years <= 100)) throw CliException.usage("--years must be in (0, 100], got " + years);
        if (!(eventsPerUser >= 1 && eventsPerUser <= 20_000)) throw CliException.usage("--events-per-user must be in [1, 20000], got " + eventsPerUser);
        try {
            return LifeCycleConfig.builder().users(users).items(nItems).topics(nTopics).topicGroups(Math.min(6, nTopics)).years(years)
                    .meanEventsPerUser(eventsPerUser).seed(seed).build();
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        long t0 = System.nanoTime();
        LifeCycleConfig cfg = config();
        CommonOptions common = common();
        int nThreads = common.threadCount();
        Path dest = OutputFiles.checkWritable(output); // a folder or a missing folder fails now, not after the work
        if (labels != null) {
            Path ldest = OutputFiles.checkWritable(labels);
            if (ldest.equals(dest)) throw CliException.usage("--labels and -o name the same file: " + output);
        }
        LifeCycleStream stream = new LifeCycleGenerator(cfg).stream();
        boolean gzip = isGzip(output);
        boolean[] itemSeen = new boolean[stream.numItems()];
        long[] bytes = new long[1];
        try (ProgressBars bars = common.progressBars(spec.commandLine().getErr()); Parallel par = new Parallel(nThreads)) {
            OutputFiles.write(output, ch -> {
                try (Progress.Task t = bars.start("generate " + output.getFileName(), stream.totalEvents(), "events")) {
                    bytes[0] = writeEvents(stream, ch, gzip, par, itemSeen, t);
                    t.status(String.format(Locale.ROOT, "%,d users, %.1f MB", stream.numUsers(), bytes[0] / 1e6));
                }
                if (labels != null) {
                    // before the events file is renamed into place: a failure here leaves neither file changed
                    try (Progress.Task t = bars.start("write " + labels.getFileName(), stream.numUsers(), "users")) {
                        writeLabels(stream.labels(), labels, t);
                    }
                }
            });
        }
        int present = 0;
        for (boolean b : itemSeen) if (b) present++;
        double secs = (System.nanoTime() - t0) / 1e9;
        out.printf(Locale.ROOT, "lurm generate: %,d events of %,d users and %,d items written to %s (%.1f MB%s)%n", stream.totalEvents(), stream.numUsers(),
                present, output, Files.isRegularFile(output) ? Files.size(output) / 1e6 : bytes[0] / 1e6, gzip ? ", gzip" : "");
        if (labels != null) {
            out.printf(Locale.ROOT, "  labels    %s: %s of %,d users (planted, %.0f %% label noise)%n", labels, String.join(", ", PlantedLabels.ATTRIBUTES),
                    stream.numUsers(), 100 * cfg.attributeNoise());
        }
        out.printf(Locale.ROOT, "  settings  %,d users, %,d items, %d topics, %s years from %s, %s events per user on average (log-normal, clamped"
                        + " to [%d, %d]), seed %d%n", cfg.users(), cfg.items(), cfg.topics(), num(cfg.years()),
                Instant.ofEpochSecond(cfg.startEpochSecond()).toString().substring(0, 10), num(cfg.meanEventsPerUser()), cfg.minEventsPerUser(),
                cfg.maxEventsPerUser(), cfg.seed());
        if (stream.totalEvents() > LifeCycleGenerator.MAX_EVENTS) {
            out.printf(Locale.ROOT, "  warning   %,d events: lurm fit reads at most %,d events into one table; generate fewer users%n", stream.totalEvents(),
                    LifeCycleGenerator.MAX_EVENTS);
        }
        out.printf(Locale.ROOT, "  time      %.1f s (%,.0f events/s); %d threads%n", secs, stream.totalEvents() / Math.max(1e-9, secs), nThreads);
        String ev = eventOptions(output);
        out.println("next:     lurm fit " + ev + " --type-weights " + typeWeights(cfg) + " -o model.lurm");
        out.println("          lurm encode --model model.lurm " + ev + " -o users.emb");
        if (labels != null) out.println("          lurm evaluate --embeddings users.emb --labels " + shellQuote(labels.toString()) + " --labels-header");
        out.flush();
        return Exit.OK;
    }

    /**
     * The event options of {@code lurm fit} and {@code lurm encode} for a file this command wrote: named columns,
     * Unix seconds, the behaviour type column (fit adds {@code --type-weights} {@link #typeWeights}; the model
     * keeps them for encode).
     */
    static String eventOptions(Path file) {
        return "--events " + shellQuote(file.toString()) + " --header --user-col user_id --item-col item_id --time-col ts --type-col type";
    }

    /** "view=1,like=2,purchase=4": the generator's weight of each behaviour type, for {@code lurm fit --type-weights}. */
    static String typeWeights(LifeCycleConfig cfg) {
        List<String> parts = new ArrayList<>();
        for (BehaviourType t : cfg.behaviourTypes()) parts.add(t.name() + "=" + num(t.weight()));
        return String.join(",", parts);
    }

    /** 1 for 1.0, 2.5 for 2.5. */
    private static String num(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    /** The argument as a POSIX shell reads it back: as it is when it is plain, else in single quotes. */
    static String shellQuote(String s) {
        if (!s.isEmpty() && s.matches("[A-Za-z0-9_./:=+,@%-]+")) return s;
        return "'" + s.replace("'", "'\\''") + "'";
    }

    static boolean isGzip(Path p) {
        return p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gz");
    }

    /**
     * Writes the header and every user's events into {@code ch}: waves of 2 chunks per thread, each chunk generated,
     * formatted and (gzip) compressed into one member by one thread, then written in order. Marks the items seen.
     *
     * @return bytes written
     */
    static long writeEvents(LifeCycleStream stream, FileChannel ch, boolean gzip, Parallel par, boolean[] itemSeen, Progress.Task task) throws IOException {
        int n = stream.numUsers();
        List<int[]> chunks = new ArrayList<>();
        for (int u = 0; u < n; ) {
            int from = u;
            long ev = 0;
            while (u < n && (ev == 0 || ev + stream.eventCount(u) <= CHUNK_EVENTS)) ev += stream.eventCount(u++);
            chunks.add(new int[] {from, u});
        }
        byte[][] typeNames = new byte[stream.config().behaviourTypes().size()][];
        for (int t = 0; t < typeNames.length; t++) typeNames[t] = stream.typeName(t).getBytes(StandardCharsets.UTF_8);
        int wave = Math.max(1, 2 * par.threads());
        ChunkWriter[] slots = new ChunkWriter[wave];
        for (int k = 0; k < wave; k++) slots[k] = new ChunkWriter(stream, typeNames, gzip);
        long written = 0;
        try {
            slots[0].text(HEADER.getBytes(StandardCharsets.US_ASCII));
            written += slots[0].finish(ch);
            for (int w0 = 0; w0 < chunks.size(); w0 += wave) {
                int inWave = Math.min(wave, chunks.size() - w0);
                int base = w0;
                par.forRange(inWave, inWave, 1, (chunk, lo, hi) -> {
                    for (int k = (int) lo; k < hi; k++) {
                        int[] c = chunks.get(base + k);
                        slots[k].format(c[0], c[1], itemSeen);
                    }
                });
                for (int k = 0; k < inWave; k++) {
                    written += slots[k].finish(ch);
                    task.advance(slots[k].events);
                }
            }
        } finally {
            for (ChunkWriter s : slots) s.close();
        }
        return written;
    }

    /** One chunk's CSV bytes and their gzip member, with reusable buffers; used by one thread at a time. */
    private static final class ChunkWriter {
        final LifeCycleStream stream;
        final LifeCycleStream.Batch batch;
        final byte[][] typeNames;
        final Bytes csv = new Bytes(1 << 20);
        final Bytes packed;
        final Deflater deflater;
        final CRC32 crc = new CRC32();
        final byte[] digits = new byte[24];
        int events;

        ChunkWriter(LifeCycleStream stream, byte[][] typeNames, boolean gzip) {
            this.stream = stream;
            this.batch = stream.newBatch();
            this.typeNames = typeNames;
            this.packed = gzip ? new Bytes(1 << 18) : null;
            this.deflater = gzip ? new Deflater(GZIP_LEVEL, true) : null;
        }

        /** Takes {@code line} as the chunk's content (compressed when gzip): the header line. */
        void text(byte[] line) {
            csv.len = 0;
            csv.ensure(line.length);
            System.arraycopy(line, 0, csv.buf, 0, line.length);
            csv.len = line.length;
            events = 0;
            if (deflater != null) compress();
        }

        /** Generates users [from, to) and formats their events (compressed when gzip). */
        void format(int from, int to, boolean[] itemSeen) {
            LifeCycleStream.Batch b = stream.generate(from, to, batch);
            events = b.size();
            csv.len = 0;
            int lastUser = -1;
            byte[] userField = new byte[16];
            int userLen = 0;
            for (int i = 0; i < b.size(); i++) {
                int u = b.user(i);
                if (u != lastUser) {
                    userLen = 0;
                    userField[userLen++] = 'u';
                    userLen = putLong(u, userField, userLen);
                    userField[userLen++] = ',';
                    lastUser = u;
                }
                int item = b.item(i);
                itemSeen[item] = true; // a benign race: every writer stores true
                csv.ensure(userLen + 48 + typeNames[b.type(i)].length);
                byte[] a = csv.buf;
                int p = csv.len;
                System.arraycopy(userField, 0, a, p, userLen);
                p += userLen;
                a[p++] = 'i';
                p = putLong(item, a, p);
                a[p++] = ',';
                p = putLong(b.timestamp(i), a, p);
                a[p++] = ',';
                byte[] tn = typeNames[b.type(i)];
                System.arraycopy(tn, 0, a, p, tn.length);
                p += tn.length;
                a[p++] = '\n';
                csv.len = p;
            }
            if (deflater != null) compress();
        }

        /** The CSV bytes as one complete gzip member (RFC 1952): header, raw deflate, CRC-32 and length. */
        private void compress() {
            packed.len = 0;
            packed.ensure(10);
            byte[] h = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};
            System.arraycopy(h, 0, packed.buf, 0, 10);
            packed.len = 10;
            crc.reset();
            crc.update(csv.buf, 0, csv.len);
            deflater.reset();
            deflater.setInput(csv.buf, 0, csv.len);
            deflater.finish();
            while (!deflater.finished()) {
                packed.ensure(1 << 16);
                packed.len += deflater.deflate(packed.buf, packed.len, packed.buf.length - packed.len);
            }
            packed.ensure(8);
            putIntLE((int) crc.getValue(), packed);
            putIntLE(csv.len, packed); // ISIZE: the length modulo 2^32 (a chunk is far below it)
        }

        private static void putIntLE(int v, Bytes b) {
            for (int k = 0; k < 4; k++) b.buf[b.len++] = (byte) (v >>> (8 * k));
        }

        /** Writes what the last {@link #format} or {@link #text} produced and clears it; returns the bytes written. */
        long finish(FileChannel ch) throws IOException {
            Bytes b = deflater != null ? packed : csv;
            ByteBuffer bb = ByteBuffer.wrap(b.buf, 0, b.len);
            while (bb.hasRemaining()) ch.write(bb);
            long n = b.len;
            csv.len = 0;
            if (packed != null) packed.len = 0;
            return n;
        }

        void close() {
            if (deflater != null) deflater.end();
        }

        /** Writes v in decimal at a[p..]; returns the new position. */
        private int putLong(long v, byte[] a, int p) {
            if (v < 0) {
                if (v == Long.MIN_VALUE) {
                    byte[] s = Long.toString(v).getBytes(StandardCharsets.US_ASCII);
                    System.arraycopy(s, 0, a, p, s.length);
                    return p + s.length;
                }
                a[p++] = '-';
                v = -v;
            }
            int d = 0;
            do {
                digits[d++] = (byte) ('0' + v % 10);
                v /= 10;
            } while (v != 0);
            while (d > 0) a[p++] = digits[--d];
            return p;
        }
    }

    /** A growable byte buffer. */
    private static final class Bytes {
        byte[] buf;
        int len;

        Bytes(int capacity) {
            buf = new byte[capacity];
        }

        void ensure(int more) {
            if (len + more > buf.length) buf = java.util.Arrays.copyOf(buf, Math.max(len + more, buf.length * 2));
        }
    }

    /** The labels file: a header, then user_id and each planted attribute, users in index order. */
    static void writeLabels(PlantedLabels l, Path file, Progress.Task task) throws IOException {
        OutputFiles.write(file, ch -> {
            OutputStream os = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
            GZIPOutputStream gz = isGzip(file) ? new GZIPOutputStream(os, 1 << 16) : null;
            Writer w = new OutputStreamWriter(gz != null ? gz : os, StandardCharsets.UTF_8);
            w.write("user_id," + String.join(",", PlantedLabels.ATTRIBUTES) + "\n");
            StringBuilder sb = new StringBuilder(64);
            for (int u = 0; u < l.numUsers(); u++) {
                sb.setLength(0);
                sb.append(LifeCycleStream.userId(u));
                for (String a : PlantedLabels.ATTRIBUTES) sb.append(',').append(l.get(u, a));
                w.append(sb).append('\n');
                if ((u & 4095) == 4095) task.advance(4096);
            }
            task.advance(l.numUsers() & 4095);
            w.flush();
            if (gz != null) gz.finish(); // not close: the channel belongs to OutputFiles
            os.flush();
        });
    }
}
