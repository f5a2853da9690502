package org.lurm.events.io;

/**
 * Parses numbers and timestamps straight from bytes, without building a String: each method returns null on
 * success (the value is in {@link #longValue} or {@link #floatValue}) or a short description of what is wrong.
 * Rare forms (exponents, long mantissas) fall back to {@link Float#parseFloat} after a strict syntax check.
 *
 * <p>Not thread-safe (holds the last value).
 */
final class FieldParser {
    private static final float[] POW10F = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f};

    long longValue;
    float floatValue;

    /** Digits that never overflow a long: 10^18 - 1 < 2^63 - 1. */
    private static final int SAFE_DIGITS = 18;

    /** A decimal integer with an optional sign. */
    String parseLong(byte[] b, int s, int e) {
        if (s >= e) return "empty";
        boolean neg = false;
        int p = s;
        if (b[p] == '-' || b[p] == '+') {
            neg = b[p] == '-';
            if (++p >= e) return "not an integer";
        }
        if (e - p <= SAFE_DIGITS) {
            // The common case (timestamps, ids): no overflow is possible, so no check per digit (the check costs a
            // 64-bit division per digit, most of the parse).
            long v = 0;
            for (; p < e; p++) {
                int d = b[p] - '0';
                if (d < 0 || d > 9) return "not an integer";
                v = v * 10 + d;
            }
            longValue = neg ? -v : v;
            return null;
        }
        long v = 0;
        for (; p < e; p++) {
            int d = b[p] - '0';
            if (d < 0 || d > 9) return "not an integer";
            // accumulate negatively so Long.MIN_VALUE fits
            if (v < (Long.MIN_VALUE + d) / 10) return "integer out of range";
            v = v * 10 - d;
        }
        if (!neg) {
            if (v == Long.MIN_VALUE) return "integer out of range";
            v = -v;
        }
        longValue = v;
        return null;
    }

    /** An integer in [lo, hi]. */
    String parseInt(byte[] b, int s, int e, int lo, int hi) {
        String err = parseLong(b, s, e);
        if (err != null) return err;
        if (longValue < lo || longValue > hi) return "out of range [" + lo + ", " + hi + "]";
        return null;
    }

    /**
     * A decimal number {@code [+-]digits[.digits][(e|E)[+-]digits]} (digits on at least one side of the point)
     * as a float, correctly rounded. NaN, infinities and hex floats are not numbers here.
     */
    String parseFloat(byte[] b, int s, int e) {
        if (s >= e) return "empty";
        int p = s;
        boolean neg = false;
        if (b[p] == '-' || b[p] == '+') {
            neg = b[p] == '-';
            p++;
        }
        long mant = 0;
        int digits = 0;
        int fracDigits = 0;
        boolean exact = true;
        int intStart = p;
        for (; p < e && b[p] >= '0' && b[p] <= '9'; p++) {
            if (mant < 100_000_000_000_000_000L) mant = mant * 10 + (b[p] - '0');
            else exact = false;
            digits++;
        }
        int intDigits = p - intStart;
        if (p < e && b[p] == '.') {
            p++;
            int fs = p;
            for (; p < e && b[p] >= '0' && b[p] <= '9'; p++) {
                if (mant < 100_000_000_000_000_000L) {
                    mant = mant * 10 + (b[p] - '0');
                    fracDigits++;
                } else {
                    exact = false;
                }
            }
            digits += p - fs;
        }
        if (digits == 0) return intDigits == 0 && p < e && (b[p] == 'N' || b[p] == 'I') ? "not a finite number" : "not a number";
        boolean hasExp = false;
        if (p < e && (b[p] == 'e' || b[p] == 'E')) {
            hasExp = true;
            p++;
            if (p < e && (b[p] == '-' || b[p] == '+')) p++;
            int es = p;
            while (p < e && b[p] >= '0' && b[p] <= '9') p++;
            if (p == es) return "not a number";
        }
        if (p != e) return "not a number";
        if (!hasExp && exact && mant <= (1L << 24) && fracDigits < POW10F.length) {
            // both operands are exact floats, so one IEEE division rounds correctly (Clinger's fast path)
            float v = (float) mant / POW10F[fracDigits];
            floatValue = neg ? -v : v;
            return null;
        }
        float v = Float.parseFloat(new String(b, s, e - s, java.nio.charset.StandardCharsets.ISO_8859_1));
        if (Float.isInfinite(v)) return "out of float range";
        floatValue = v;
        return null;
    }

    /** A timestamp in the given format, as Unix seconds. */
    String parseTimestamp(byte[] b, int s, int e, TimestampFormat f) {
        switch (f) {
            case UNIX_SECONDS -> {
                return parseLong(b, s, e);
            }
            case UNIX_MILLIS -> {
                String err = parseLong(b, s, e);
                if (err == null) longValue = Math.floorDiv(longValue, 1000L);
                return err;
            }
            case ISO_DATE -> {
                if (s >= e) return "empty";
                return e - s == 10 ? parseDate(b, s, 0) : "not an ISO-8601 date (yyyy-MM-dd)";
            }
            case ISO_INSTANT -> {
                if (s >= e) return "empty";
                return parseInstant(b, s, e);
            }
            default -> throw new AssertionError(f);
        }
    }

    private static int digits2(byte[] b, int p) {
        int d1 = b[p] - '0', d2 = b[p + 1] - '0';
        if (d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return -1;
        return d1 * 10 + d2;
    }

    /** yyyy-MM-dd at p; longValue = that day's midnight UTC plus addSeconds. */
    private String parseDate(byte[] b, int p, long addSeconds) {
        int hi = digits2(b, p), lo = digits2(b, p + 2);
        if (hi < 0 || lo < 0 || b[p + 4] != '-' || b[p + 7] != '-') return "not an ISO-8601 date (yyyy-MM-dd)";
        int month = digits2(b, p + 5), day = digits2(b, p + 8);
        if (month < 0 || day < 0) return "not an ISO-8601 date (yyyy-MM-dd)";
        int year = hi * 100 + lo;
        if (month < 1 || month > 12) return "month " + month + " out of range";
        if (day < 1 || day > daysInMonth(year, month)) return "day " + day + " out of range for " + year + "-" + (month < 10 ? "0" : "") + month;
        longValue = epochDay(year, month, day) * 86400L + addSeconds;
        return null;
    }

    private String parseInstant(byte[] b, int s, int e) {
        final String shape = "not an ISO-8601 instant (yyyy-MM-ddTHH:mm[:ss[.fff]] then Z or +HH:mm)";
        if (e - s < 17) return shape;
        byte t = b[s + 10];
        if (t != 'T' && t != 't' && t != ' ') return shape;
        int p = s + 11;
        int hour = digits2(b, p);
        if (hour < 0 || b[p + 2] != ':') return shape;
        int minute = digits2(b, p + 3);
        if (minute < 0) return shape;
        p += 5;
        int second = 0;
        if (p < e && b[p] == ':') {
            if (p + 3 > e) return shape;
            second = digits2(b, p + 1);
            if (second < 0) return shape;
            p += 3;
            if (p < e && (b[p] == '.' || b[p] == ',')) {
                // fractions are floored away: an instant's second is what a period needs
                int fs = ++p;
                while (p < e && b[p] >= '0' && b[p] <= '9') p++;
                if (p == fs || p - fs > 9) return shape;
            }
        }
        if (hour > 23) return "hour " + hour + " out of range";
        if (minute > 59) return "minute " + minute + " out of range";
        if (second > 59) return "second " + second + " out of range";
        if (p >= e) return "ISO-8601 instant without zone designator (add Z or an offset such as +01:00)";
        long offset;
        byte z = b[p];
        if (z == 'Z' || z == 'z') {
            offset = 0;
            p++;
        } else if (z == '+' || z == '-') {
            if (p + 3 > e) return shape;
            int oh = digits2(b, p + 1);
            if (oh < 0) return shape;
            int om = 0;
            int q = p + 3;
            if (q < e) {
                if (b[q] == ':') q++;
                if (q + 2 > e) return shape;
                om = digits2(b, q);
                if (om < 0) return shape;
                q += 2;
            }
            if (oh > 18 || om > 59) return "zone offset out of range";
            offset = (oh * 3600L + om * 60L) * (z == '-' ? -1 : 1);
            p = q;
        } else {
            return shape;
        }
        if (p != e) return shape;
        String err = parseDate(b, s, hour * 3600L + minute * 60L + second - offset);
        return err;
    }

    static boolean leap(int y) {
        return (y & 3) == 0 && (y % 100 != 0 || y % 400 == 0);
    }

    static int daysInMonth(int y, int m) {
        return switch (m) {
            case 2 -> leap(y) ? 29 : 28;
            case 4, 6, 9, 11 -> 30;
            default -> 31;
        };
    }

    /** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
    static long epochDay(int y, int m, int d) {
        long yy = m <= 2 ? y - 1 : y;
        long era = Math.floorDiv(yy, 400);
        long yoe = yy - era * 400;
        long doy = (153L * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
        long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
    }
}
