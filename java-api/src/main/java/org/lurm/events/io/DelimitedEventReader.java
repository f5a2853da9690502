package org.lurm.events.io;

import org.lurm.io.Inputs;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.lurm.events.EventTableBuilder;
import org.lurm.events.IdDictionary;

/**
 * Reads behaviour events (user, item, timestamp, optional weight, optional behaviour type) from delimited text
 * and appends them to an {@link EventTableBuilder}. Because the builder owns the id dictionaries, several files
 * read into one builder (or into builders sharing dictionaries) keep one numbering: incremental loads.
 *
 * <pre>{@code
 * DelimitedEventReader reader = DelimitedEventReader.builder()
 *         .format(DelimitedFormat.csv())                 // comma, header line, "-quoting, UTF-8
 *         .user("user_id").item("item_id").timestamp("ts")
 *         .type("action")                                // optional; weight is 1 unless mapped
 *         .timestampFormat(TimestampFormat.ISO_INSTANT)
 *         .build();
 * EventTableBuilder events = new EventTableBuilder();
 * ReadReport report = reader.read(Path.of("events.csv.gz"), events);   // gzip found by its magic bytes
 * try (MemoryScope scope = MemoryScope.root("events")) {
 *     EventTable table = events.build(scope);
 * }
 * }</pre>
 *
 * <p><b>Fields.</b> Ids (user, item, type) are text in the format's charset; an empty id is an error. The
 * timestamp follows {@link TimestampFormat} (default {@link TimestampFormat#UNIX_SECONDS}). The weight is a
 * finite decimal number {@code >= 0} (default 1 when no weight column is mapped). Columns not mapped are
 * ignored; a line with fewer fields than a mapped column needs is malformed.
 *
 * <p><b>Line breaks.</b> A line ends at LF, CRLF or a lone CR. A quoted field may span lines in a column
 * that is not mapped (free text); the lines it covers are counted in the report's note
 * {@value #NOTE_CONTINUATION}. In a mapped column a quoted field that spans lines is almost always a stray
 * quote that would swallow the lines after it, so it makes the record malformed (in lenient mode only its first
 * line is skipped and reading resumes on the next one) unless {@link Builder#multilineIds(boolean)} allows it in
 * the id columns (user, item, type); timestamps and weights never span lines.
 *
 * <p><b>Errors.</b> A malformed line throws {@link MalformedInputException} naming file, line, field and the
 * problem. With {@link Builder#lenient(boolean) lenient} on, such lines are skipped, counted, and the first
 * few messages kept in the {@link ReadReport}; a skipped line leaves no trace in the builder or its
 * dictionaries. A malformed header line and reading errors of the stream (e.g. a truncated gzip file) always
 * throw, lenient or not.
 *
 * <p><b>Speed.</b> Bytes are split by hand and numbers parsed straight from bytes; ids already seen are found
 * by their bytes ({@code ByteIdCache}), so a typical line allocates nothing. Reading is sequential: the
 * dictionaries number ids in order of first appearance, which a parallel split would have to redo.
 *
 * <p><b>Memory.</b> Everything read goes on-heap into the builder; off-heap memory is only allocated later by
 * {@link EventTableBuilder#build}, in the scope given there.
 *
 * <p><b>Thread-safety.</b> A reader is immutable and can read several files at once on different threads,
 * each into its own builder (builders are not thread-safe).
 */
public final class DelimitedEventReader {
    /** Report note: physical lines that were inside quoted fields spanning lines (not records of their own). */
    public static final String NOTE_CONTINUATION = "lines inside quoted fields";
    /** Report note: the 1-based column of the first quoted field that spans lines (when there is one). */
    public static final String NOTE_MULTILINE_COLUMN = "first column with quoted fields spanning lines";
    /** Report note: lines that ended with a lone CR (old Mac line breaks), read as line breaks. */
    public static final String NOTE_LONE_CR = "lines ending in a lone CR";
    private static final String[] ROLES = {"user", "item", "timestamp", "weight", "type"};
    private static final int USER = 0, ITEM = 1, TIMESTAMP = 2, WEIGHT = 3, TYPE = 4;

    private final DelimitedFormat format;
    private final Column[] columns;
    private final TimestampFormat timestampFormat;
    private final boolean lenient;
    private final int maxErrors;
    private final boolean closedTypes;
    private final boolean multilineIds;

    private DelimitedEventReader(Builder b) {
        this.format = b.format;
        this.columns = b.columns.clone();
        this.timestampFormat = b.timestampFormat;
        this.lenient = b.lenient;
        this.maxErrors = b.maxErrors;
        this.closedTypes = b.closedTypes;
        this.multilineIds = b.multilineIds;
        for (int r = 0; r <= TIMESTAMP; r++) {
            if (columns[r] == null) throw new IllegalStateException("the " + ROLES[r] + " column is not mapped");
        }
        for (int r = 0; r < ROLES.length; r++) {
            Column c = columns[r];
            if (c != null && c.byName() && !format.header()) {
                throw new IllegalStateException("the " + ROLES[r] + " column is given by name (\"" + c.name() + "\") but the format has no header line");
            }
            for (int q = 0; q < r; q++) {
                if (c != null && c.equals(columns[q])) {
                    throw new IllegalStateException("the " + ROLES[q] + " and " + ROLES[r] + " columns are both " + c);
                }
            }
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public DelimitedFormat format() {
        return format;
    }

    public TimestampFormat timestampFormat() {
        return timestampFormat;
    }

    public boolean lenient() {
        return lenient;
    }

    /** Reads a file (gzip-compressed or not: decided by its first two bytes) into {@code out}. */
    public ReadReport read(Path file, EventTableBuilder out) throws IOException {
        try (InputStream in = Inputs.open(file)) {
            return read(in, file.toString(), out);
        }
    }

    /**
     * Reads a stream of uncompressed text into {@code out}; {@code source} names it in messages. The stream is
     * not closed.
     */
    public ReadReport read(InputStream in, String source, EventTableBuilder out) throws IOException {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(out, "out");
        RecordTokenizer tok = new RecordTokenizer(in, format, source);
        ReportCounter rc = new ReportCounter(source, "events", lenient, maxErrors);
        int usersBefore = out.users().size(), itemsBefore = out.items().size(), typesBefore = out.types().size();

        int[] col = new int[ROLES.length];
        String[] header = null;
        if (format.header()) {
            if (!tok.next()) return rc.finish(tok); // an empty file has no header and no events
            rc.headerLines = 1;
            header = readHeader(tok);
        }
        for (int r = 0; r < ROLES.length; r++) {
            Column c = columns[r];
            if (c == null) col[r] = -1;
            else if (!c.byName()) col[r] = c.index();
            else col[r] = headerIndex(header, c.name(), ROLES[r], tok);
        }
        for (int r = 0; r < ROLES.length; r++) {
            for (int q = 0; q < r; q++) {
                if (col[r] >= 0 && col[r] == col[q]) {
                    throw new IllegalStateException(source + ": the " + ROLES[q] + " and " + ROLES[r] + " columns are both column " + (col[r] + 1));
                }
            }
        }
        int[] refuse = new int[ROLES.length];
        int nRefuse = 0;
        for (int r = 0; r < ROLES.length; r++) {
            boolean id = r == USER || r == ITEM || r == TYPE;
            if (col[r] >= 0 && !(id && multilineIds)) refuse[nRefuse++] = col[r];
        }
        tok.refuseLineBreaksIn(java.util.Arrays.copyOf(refuse, nRefuse));
        new Loop(tok, rc, out, col, header).run();
        if (tok.continuationLines() > 0) {
            rc.note(NOTE_CONTINUATION, tok.continuationLines());
            rc.note(NOTE_MULTILINE_COLUMN, tok.multilineColumns().getFirst() + 1);
        }
        if (tok.loneCrBreaks() > 0) rc.note(NOTE_LONE_CR, tok.loneCrBreaks());

        rc.note("new users", out.users().size() - usersBefore);
        rc.note("new items", out.items().size() - itemsBefore);
        if (col[TYPE] >= 0) rc.note("new behaviour types", out.types().size() - typesBefore);
        return rc.finish(tok);
    }

    private static String[] readHeader(RecordTokenizer tok) throws MalformedInputException {
        if (tok.error() != null) {
            throw new MalformedInputException(tok.source(), tok.line(), null, 0, null, "header line: " + tok.error());
        }
        String[] h = new String[tok.fieldCount()];
        for (int f = 0; f < h.length; f++) {
            try {
                h[f] = tok.string(f);
            } catch (CharacterCodingException e) {
                throw new MalformedInputException(tok.source(), tok.line(), "header", f + 1, null, "bytes not valid in " + tok.charsetName() + ": " + tok.snippet(f));
            }
        }
        return h;
    }

    private static int headerIndex(String[] header, String name, String role, RecordTokenizer tok) throws MalformedInputException {
        int found = -1;
        for (int i = 0; i < header.length; i++) {
            if (!header[i].equals(name)) continue;
            if (found >= 0) {
                throw new MalformedInputException(tok.source(), tok.line(), role, 0, name,
                        "the header names \"" + name + "\" twice (columns " + (found + 1) + " and " + (i + 1) + ")");
            }
            found = i;
        }
        if (found < 0) {
            throw new MalformedInputException(tok.source(), tok.line(), role, 0, name, "the header has no column \"" + name + "\"; it has " + List.of(header));
        }
        return found;
    }

    /** The per-line loop; its fields hold the state of one read so that a good line allocates nothing. */
    private final class Loop {
        private final RecordTokenizer tok;
        private final ReportCounter rc;
        private final EventTableBuilder out;
        private final int[] col;
        private final String[] header;
        private final int needFields;
        private final FieldParser parser = new FieldParser();
        private final ByteIdCache users;
        private final ByteIdCache items;
        private final ByteIdCache types;
        // the failing field of the current line
        private int badRole;
        private int badColumn;
        private String badReason;

        Loop(RecordTokenizer tok, ReportCounter rc, EventTableBuilder out, int[] col, String[] header) {
            this.tok = tok;
            this.rc = rc;
            this.out = out;
            this.col = col;
            this.header = header;
            int need = 0;
            for (int c : col) need = Math.max(need, c + 1);
            this.needFields = need;
            this.users = new ByteIdCache(out.users());
            this.items = new ByteIdCache(out.items());
            this.types = new ByteIdCache(out.types());
        }

        void run() throws IOException {
            while (tok.next()) {
                if (line()) {
                    rc.accepted++;
                } else {
                    String field = badRole >= 0 ? ROLES[badRole] : badColumn >= 0 ? "column " + (badColumn + 1) : null;
                    String headerName = header != null && badColumn >= 0 && badColumn < header.length ? header[badColumn] : null;
                    rc.malformed(new MalformedInputException(tok.source(), tok.line(), field, badColumn + 1, headerName, badReason));
                }
            }
        }

        private boolean bad(int role, int column, String reason) {
            badRole = role;
            badColumn = column;
            badReason = reason;
            return false;
        }

        private int roleOfColumn(int column) {
            if (column < 0) return -1;
            for (int r = 0; r < col.length; r++) if (col[r] == column) return r;
            return -1;
        }

        /** Parses and appends the current line; false (with bad* set) when it is malformed. */
        private boolean line() {
            if (tok.error() != null) return bad(roleOfColumn(tok.errorField()), tok.errorField(), tok.error());
            int nf = tok.fieldCount();
            if (nf < needFields) {
                for (int r = 0; r < col.length; r++) {
                    if (col[r] >= nf) {
                        return bad(r, col[r], "missing: the line has only " + nf + (nf == 1 ? " field" : " fields")
                                + (nf == 1 ? " (is the separator " + DelimitedFormat.escape(format.separator()) + " right?)" : ""));
                    }
                }
            }
            byte[] b = tok.buffer();
            int c = col[TIMESTAMP];
            String err = parser.parseTimestamp(b, tok.start(c), tok.end(c), timestampFormat);
            if (err != null) return bad(TIMESTAMP, c, err + ": " + tok.snippet(c));
            long ts = parser.longValue;
            float w = 1f;
            c = col[WEIGHT];
            if (c >= 0) {
                err = parser.parseFloat(b, tok.start(c), tok.end(c));
                if (err != null) return bad(WEIGHT, c, err + ": " + tok.snippet(c));
                w = parser.floatValue;
                if (w < 0) return bad(WEIGHT, c, "negative weight: " + tok.snippet(c));
                w += 0f; // -0 becomes +0
            }
            // Look ids up first and only add them once the whole line is known to be good, so a skipped line
            // leaves no id behind in the dictionaries.
            int uc = col[USER], ic = col[ITEM], tc = col[TYPE];
            if (tok.start(uc) == tok.end(uc)) return bad(USER, uc, "empty id");
            if (tok.start(ic) == tok.end(ic)) return bad(ITEM, ic, "empty id");
            int u = users.find(b, tok.start(uc), tok.end(uc));
            String uNew = null;
            if (u < 0 && (uNew = decode(USER, uc)) == null) return false;
            int i = items.find(b, tok.start(ic), tok.end(ic));
            String iNew = null;
            if (i < 0 && (iNew = decode(ITEM, ic)) == null) return false;
            int t = 0;
            String tNew = null;
            if (tc >= 0) {
                if (tok.start(tc) == tok.end(tc)) return bad(TYPE, tc, "empty behaviour type");
                t = types.find(b, tok.start(tc), tok.end(tc));
                if (t < 0) {
                    if ((tNew = decode(TYPE, tc)) == null) return false;
                    if (closedTypes) {
                        IdDictionary known = out.types();
                        t = known.indexOf(tNew);
                        if (t < 0) return bad(TYPE, tc, "unknown behaviour type " + tok.snippet(tc) + "; allowed: " + known.ids());
                        types.put(b, tok.start(tc), tok.end(tc), t);
                        tNew = null;
                    }
                }
            }
            if (uNew != null) {
                u = out.users().add(uNew);
                users.put(b, tok.start(uc), tok.end(uc), u);
            }
            if (iNew != null) {
                i = out.items().add(iNew);
                items.put(b, tok.start(ic), tok.end(ic), i);
            }
            if (tNew != null) {
                t = out.types().add(tNew);
                types.put(b, tok.start(tc), tok.end(tc), t);
            }
            out.addIndexed(u, i, ts, w, t);
            return true;
        }

        private String decode(int role, int c) {
            try {
                return tok.string(c);
            } catch (CharacterCodingException e) {
                bad(role, c, "bytes not valid in " + tok.charsetName() + ": " + tok.snippet(c));
                return null;
            }
        }
    }

    /**
     * Configures a {@link DelimitedEventReader}. Required: user, item and timestamp columns. Defaults: format
     * {@code DelimitedFormat.tsv()}, {@link TimestampFormat#UNIX_SECONDS}, no weight column (weight 1), no type
     * column (type index 0), strict, 10 kept error messages, open types.
     */
    public static final class Builder {
        private DelimitedFormat format = DelimitedFormat.tsv();
        private final Column[] columns = new Column[ROLES.length];
        private TimestampFormat timestampFormat = TimestampFormat.UNIX_SECONDS;
        private boolean lenient;
        private int maxErrors = 10;
        private boolean closedTypes;
        private boolean multilineIds;

        private Builder() {
        }

        public Builder format(DelimitedFormat f) {
            this.format = Objects.requireNonNull(f, "format");
            return this;
        }

        public Builder user(Column c) {
            columns[USER] = Objects.requireNonNull(c);
            return this;
        }

        public Builder item(Column c) {
            columns[ITEM] = Objects.requireNonNull(c);
            return this;
        }

        public Builder timestamp(Column c) {
            columns[TIMESTAMP] = Objects.requireNonNull(c);
            return this;
        }

        /** The weight column; null for none (every weight 1). */
        public Builder weight(Column c) {
            columns[WEIGHT] = c;
            return this;
        }

        /** The behaviour type column; null for none (every event gets type index 0). */
        public Builder type(Column c) {
            columns[TYPE] = c;
            return this;
        }

        /** 0-based column index. */
        public Builder user(int index) {
            return user(Column.index(index));
        }

        public Builder item(int index) {
            return item(Column.index(index));
        }

        public Builder timestamp(int index) {
            return timestamp(Column.index(index));
        }

        public Builder weight(int index) {
            return weight(Column.index(index));
        }

        public Builder type(int index) {
            return type(Column.index(index));
        }

        /** Header name (the format must have a header). */
        public Builder user(String name) {
            return user(Column.named(name));
        }

        public Builder item(String name) {
            return item(Column.named(name));
        }

        public Builder timestamp(String name) {
            return timestamp(Column.named(name));
        }

        public Builder weight(String name) {
            return weight(Column.named(name));
        }

        public Builder type(String name) {
            return type(Column.named(name));
        }

        public Builder timestampFormat(TimestampFormat f) {
            this.timestampFormat = Objects.requireNonNull(f);
            return this;
        }

        /** Skip (and count) malformed lines instead of throwing. Default false. */
        public Builder lenient(boolean l) {
            this.lenient = l;
            return this;
        }

        /** How many error messages a lenient read keeps (default 10). */
        public Builder maxErrors(int n) {
            if (n < 0) throw new IllegalArgumentException("maxErrors must be >= 0, got " + n);
            this.maxErrors = n;
            return this;
        }

        /**
         * Whether behaviour types must already be in the builder's type dictionary (default false: new types
         * are added). With a fixed vocabulary (ratings "1".."5", or "click", "buy") this turns a typo into an
         * error instead of a new type.
         */
        public Builder closedTypes(boolean c) {
            this.closedTypes = c;
            return this;
        }

        /**
         * Whether a quoted user, item or type id may span lines (default false: such a field makes its record
         * malformed, because it is almost always a stray quote that would merge the lines after it).
         */
        public Builder multilineIds(boolean allow) {
            this.multilineIds = allow;
            return this;
        }

        public DelimitedEventReader build() {
            return new DelimitedEventReader(this);
        }
    }
}
