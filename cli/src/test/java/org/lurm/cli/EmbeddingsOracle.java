package org.lurm.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.lurm.events.io.MalformedInputException;
import org.lurm.testing.FuzzSupport;

/**
 * The oracle of the embeddings-file fuzz target: {@link EmbeddingsFile#read} against an independent reading of the
 * two formats as docs/CLI.md ("Embeddings files") describes them: the binary table by ByteBuffer arithmetic, the
 * CSV line by line. Outcome classes: {@code error: binary, names the file}, {@code error: CSV, names file:line},
 * {@code error: CSV without a header, names the file}, {@code success (binary)} and {@code success (CSV)} with
 * every id and every float's bits equal to the reference's. Stateless; thread-safe.
 */
final class EmbeddingsOracle {
    static final String TARGET = "embeddings file";
    private static final byte[] MAGIC = {'L', 'U', 'R', 'M', 'E', 'M', 'B', 0};

    private EmbeddingsOracle() {
    }

    private static final class Bad extends Exception {
        private static final long serialVersionUID = 1L;
        final long line; // 0 for binary or whole-file problems

        Bad(long line) {
            super(null, null, false, false);
            this.line = line;
        }
    }

    private record Want(boolean binary, List<String> ids, int dim, int[] bits) {
    }

    static String check(byte[] file) {
        Path path = FuzzSupport.scratch("users.emb");
        try {
            Files.write(path, file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        boolean binary = file.length >= 4 && file[0] == 'L' && file[1] == 'U' && file[2] == 'R' && file[3] == 'M';
        Want want = null;
        long badLine = -1;
        try {
            want = binary ? binary(file) : csv(file);
        } catch (Bad b) {
            badLine = b.line;
        }
        EmbeddingsFile.Embeddings got;
        try {
            got = EmbeddingsFile.read(path);
        } catch (EmbeddingsFile.FormatException | MalformedInputException e) {
            String m = e.getMessage();
            if (!m.startsWith(path.toString())) fail(file, "the error does not name the file: " + m);
            if (want != null) fail(file, "refused (" + m + "), the reference reads " + want.ids().size() + " rows");
            if (binary) return count("error: binary, names the file");
            if (badLine == 0) return count("error: CSV without a header, names the file");
            long line = e instanceof MalformedInputException mi ? mi.line() : lineOf(m, path);
            if (line != badLine) fail(file, "error at line " + line + " (" + m + "), the reference's first bad line is " + badLine);
            return count("error: CSV, names file:line");
        } catch (Exception | StackOverflowError | OutOfMemoryError e) {
            throw new AssertionError("unexpected " + e + " on " + FuzzSupport.keep("embeddings", file), e);
        }
        if (want == null) fail(file, "read " + got.rows() + " rows, the reference refuses " + (binary ? "the binary file" : "line " + badLine));
        if (!got.ids().equals(want.ids()) || got.dim() != want.dim()) fail(file, "ids or width differ: " + got.ids() + " x " + got.dim() + ", want " + want.ids() + " x " + want.dim());
        for (int i = 0; i < want.bits().length; i++) {
            if (Float.floatToRawIntBits(got.values()[i]) != want.bits()[i] && !(Float.isNaN(got.values()[i]) && Float.isNaN(Float.intBitsToFloat(want.bits()[i])) && !binary)) {
                fail(file, "float " + i + " is " + got.values()[i] + ", want " + Float.intBitsToFloat(want.bits()[i]));
            }
        }
        return count(binary ? "success (binary)" : "success (CSV)");
    }

    private static long lineOf(String message, Path path) {
        String rest = message.substring(path.toString().length());
        var m = java.util.regex.Pattern.compile("^: line (\\d+):").matcher(rest);
        return m.find() ? Long.parseLong(m.group(1)) : -2;
    }

    private static String count(String outcome) {
        FuzzSupport.count(TARGET, outcome);
        return outcome;
    }

    private static void fail(byte[] file, String why) {
        throw new AssertionError(why + "\n  input kept at " + FuzzSupport.keep("embeddings", file));
    }

    private static String utf8(byte[] b, int off, int len) throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(b, off, len)).toString();
    }

    /** The binary format: the table of docs/CLI.md. */
    private static Want binary(byte[] f) throws Bad {
        long size = f.length;
        if (size < 64 || !Arrays.equals(f, 0, 8, MAGIC, 0, 8)) throw new Bad(0);
        ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
        long version = b.getInt(8) & 0xffffffffL, dim = b.getInt(12) & 0xffffffffL;
        long rows = b.getLong(16), dataOffset = b.getLong(24), idBytes = b.getLong(32);
        if (version != 1 || dim < 1 || dim > Integer.MAX_VALUE) throw new Bad(0);
        for (int i = 40; i < 64; i++) if (f[i] != 0) throw new Bad(0);
        if (rows < 0 || rows > Integer.MAX_VALUE) throw new Bad(0);
        if (idBytes < 4 * rows || idBytes > size) throw new Bad(0);
        if (dataOffset % 64 != 0 || dataOffset < 64 + idBytes || dataOffset > size) throw new Bad(0);
        long floats = rows * dim;
        if (floats > Integer.MAX_VALUE - 8 || dataOffset + floats * 4 != size) throw new Bad(0);
        List<String> ids = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        long p = 64, end = 64 + idBytes;
        for (long r = 0; r < rows; r++) {
            if (end - p < 4) throw new Bad(0);
            long len = b.getInt((int) p) & 0xffffffffL;
            p += 4;
            if (len > 1 << 20 || len > end - p) throw new Bad(0);
            String id;
            try {
                id = utf8(f, (int) p, (int) len);
            } catch (CharacterCodingException e) {
                throw new Bad(0);
            }
            p += len;
            if (!seen.add(id)) throw new Bad(0);
            ids.add(id);
        }
        if (p != end) throw new Bad(0);
        for (long q = end; q < dataOffset; q++) if (f[(int) q] != 0) throw new Bad(0);
        int[] bits = new int[(int) floats];
        for (int i = 0; i < bits.length; i++) bits[i] = b.getInt((int) (dataOffset + 4L * i));
        return new Want(true, ids, (int) dim, bits);
    }

    /** The CSV format: header user_id,e0,..., then one line per user; lines end at LF, CRLF or CR. */
    private static Want csv(byte[] bytes) throws Bad {
        List<String> ids = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        List<Integer> bits = new ArrayList<>();
        int dim = -1;
        boolean first = true;
        long no = 0;
        int s = 0;
        for (int i = 0; i <= bytes.length; i++) {
            if (i < bytes.length && bytes[i] != '\n' && bytes[i] != '\r') continue;
            if (i == bytes.length && s == i) break;
            no++;
            String line;
            try {
                line = utf8(bytes, s, i - s);
            } catch (CharacterCodingException e) {
                throw new Bad(no);
            }
            if (i < bytes.length && bytes[i] == '\r' && i + 1 < bytes.length && bytes[i + 1] == '\n') i++;
            s = i + 1;
            if (first && line.startsWith("\uFEFF")) line = line.substring(1);
            if (line.isBlank()) continue;
            List<String> f = split(line, no);
            if (first) {
                first = false;
                if (!f.getFirst().equalsIgnoreCase("user_id") || f.size() < 2) throw new Bad(no);
                dim = f.size() - 1;
                continue;
            }
            if (f.size() != dim + 1) throw new Bad(no);
            for (int j = 1; j <= dim; j++) {
                if (!EmbeddingsFile.FLOAT.matcher(f.get(j)).matches()) throw new Bad(no);
                bits.add(Float.floatToRawIntBits(Float.parseFloat(f.get(j))));
            }
            if (!seen.add(f.getFirst())) throw new Bad(no);
            ids.add(f.getFirst());
        }
        if (dim < 1) throw new Bad(0);
        return new Want(false, ids, dim, bits.stream().mapToInt(Integer::intValue).toArray());
    }

    private static boolean space(char c) {
        return c == ' ' || c == '\t';
    }

    /** One CSV line: RFC 4180 quotes within the line, spaces and tabs around fields dropped. */
    private static List<String> split(String line, long no) throws Bad {
        List<String> out = new ArrayList<>();
        int i = 0, n = line.length();
        while (true) {
            while (i < n && space(line.charAt(i))) i++;
            if (i < n && line.charAt(i) == '"') {
                StringBuilder sb = new StringBuilder();
                int j = i + 1;
                while (true) {
                    if (j >= n) throw new Bad(no);
                    char c = line.charAt(j);
                    if (c == '"') {
                        if (j + 1 < n && line.charAt(j + 1) == '"') {
                            sb.append('"');
                            j += 2;
                            continue;
                        }
                        j++;
                        break;
                    }
                    sb.append(c);
                    j++;
                }
                out.add(sb.toString());
                int k = line.indexOf(',', j);
                if (!line.substring(j, k < 0 ? n : k).chars().allMatch(c -> c == ' ' || c == '\t')) throw new Bad(no);
                if (k < 0) return out;
                i = k + 1;
            } else {
                int k = line.indexOf(',', i);
                String f = k < 0 ? line.substring(i) : line.substring(i, k);
                int a = 0, e = f.length();
                while (a < e && space(f.charAt(a))) a++;
                while (e > a && space(f.charAt(e - 1))) e--;
                out.add(f.substring(a, e));
                if (k < 0) return out;
                i = k + 1;
            }
        }
    }
}
