package org.lurm.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.lurm.eval.EvaluationReport;
import org.lurm.eval.ResultRow;
import org.lurm.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HtmlReportTest {
    @TempDir
    Path dir;

    /** A report like evaluate's, with fresh random numbers, and labels that need escaping. */
    static EvaluationReport synthetic(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<ResultRow> rows = new ArrayList<>();
        String[] methods = {"LURM", "raw BoI", "BoI + RSVD", "<script>alert('x')</script>"};
        String[][] tasks = {{"gender", "roc_auc"}, {"age", "accuracy"}, {"age", "macro_f1"}, {"occupation & more", "accuracy"}};
        for (String probe : List.of("logistic", "mlp")) {
            for (String[] t : tasks) {
                for (String m : methods) {
                    double[] folds = new double[5];
                    for (int f = 0; f < 5; f++) folds[f] = 0.3 + 0.6 * r.nextDouble();
                    double mean = java.util.Arrays.stream(folds).average().orElseThrow();
                    double sd = Math.sqrt(java.util.Arrays.stream(folds).map(x -> (x - mean) * (x - mean)).sum() / 5);
                    rows.add(new ResultRow("movielens-100k", t[0], m, probe, t[1], mean, sd, folds));
                }
            }
        }
        List<EvaluationReport.LossPoint> loss = new ArrayList<>();
        for (int s = 1; s <= 200; s++) loss.add(new EvaluationReport.LossPoint(s, 3 * Math.exp(-s / 50.0) + 0.1 * r.nextDouble(), s % 50 == 0 ? 1.0 + r.nextDouble() : Double.NaN));
        int n = 500;
        float[] x = new float[n], y = new float[n];
        String[] cls = new String[n];
        for (int i = 0; i < n; i++) {
            cls[i] = i % 3 == 0 ? "F" : i % 3 == 1 ? "M" : "<b>bold</b>";
            x[i] = (float) (r.nextGaussian() + (i % 3));
            y[i] = (float) r.nextGaussian();
        }
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("command", "lurm evaluate --dataset movielens-100k");
        settings.put("seed & \"config\"", "<K=400>");
        return new EvaluationReport("Report <test> & co", rows, loss, new EvaluationReport.UserProjection("LURM", "gender", x, y, cls), settings);
    }

    @Test
    void tableHoldsEveryValueAndEscapesLabels() {
        EvaluationReport rep = synthetic(TestData.seed("HtmlReportTest.table"));
        String html = HtmlReport.render(rep);
        for (ResultRow row : rep.rows()) {
            String cell = String.format(Locale.ROOT, "%.3f ± %.3f", row.mean(), row.std());
            assertTrue(html.contains(cell), "missing " + cell + " for " + row);
        }
        assertFalse(html.contains("<script>"), "a method name must not become a script element");
        assertTrue(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        assertTrue(html.contains("<title>Report &lt;test&gt; &amp; co</title>"));
        assertTrue(html.contains("occupation &amp; more"));
        assertTrue(html.contains("seed &amp; &quot;config&quot;") && html.contains("&lt;K=400&gt;"));
        assertFalse(html.contains("<b>bold</b>"), "class labels in the chart legend are escaped too");
        // one best cell per line of the table: 4 tasks x 2 probes
        assertEquals(8, html.split("class=\"best\"", -1).length - 1);
        // self-contained: nothing fetched
        assertFalse(html.matches("(?s).*(src|href)=\"https?:.*"));
        for (String id : List.of("chart-loss", "chart-methods-logistic", "chart-methods-mlp", "chart-projection")) {
            assertTrue(html.contains("<svg id='" + id + "'"), id); // JFreeSVG writes single-quoted attributes
        }
    }

    @Test
    void reportWithoutTrainingOrProjectionSaysSo() {
        EvaluationReport r = synthetic(1);
        String html = HtmlReport.render(new EvaluationReport("t", r.rows(), List.of(), null, Map.of()));
        assertTrue(html.contains("id=\"no-loss\"") && html.contains("id=\"no-projection\""));
        assertFalse(html.contains("'chart-loss'"));
    }

    @Test
    void projectionRecoversTheTopPrincipalAxes() {
        // rows spread mostly along (1, 1, 0, 0)/sqrt 2, then along (0, 0, 1, 0): PCA must find those axes
        SplittableRandom r = new SplittableRandom(TestData.seed("HtmlReportTest.pca"));
        int n = 2000, d = 4;
        float[] v = new float[n * d];
        double[] a = new double[n], b = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = 10 * r.nextGaussian();
            b[i] = 3 * r.nextGaussian();
            v[i * d] = (float) (a[i] / Math.sqrt(2) + 0.1 * r.nextGaussian() + 5);
            v[i * d + 1] = (float) (a[i] / Math.sqrt(2) + 0.1 * r.nextGaussian());
            v[i * d + 2] = (float) (b[i] + 0.1 * r.nextGaussian());
            v[i * d + 3] = (float) (0.1 * r.nextGaussian());
        }
        String[] cls = new String[n];
        java.util.Arrays.fill(cls, "x");
        EvaluationReport.UserProjection p = Projection.pca("m", "l", v, n, d, cls);
        assertTrue(Math.abs(corr(p.x(), a)) > 0.99, "first axis " + corr(p.x(), a));
        assertTrue(Math.abs(corr(p.y(), b)) > 0.99, "second axis " + corr(p.y(), b));
    }

    private static double corr(float[] x, double[] y) {
        double mx = 0, my = 0;
        for (int i = 0; i < x.length; i++) {
            mx += x[i];
            my += y[i];
        }
        mx /= x.length;
        my /= x.length;
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.length; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxy / Math.sqrt(sxx * syy);
    }

    /** Debian's chromium, or null; a missing browser skips the test, except under CI=true. */
    static String chromium() {
        for (String c : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")) {
            if (new File(c).canExecute()) return c;
        }
        String msg = "chromium not found (apt-get install chromium): the report is not checked in a browser";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) fail(msg + "; CI=true requires it");
        assumeTrue(false, msg);
        return null;
    }

    private String runChromium(String browser, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-dev-shm-usage", "--user-data-dir=" + Files.createTempDirectory(dir, "chromium-profile")));
        cmd.addAll(List.of(args));
        Path log = dir.resolve("chromium-" + System.nanoTime() + ".log");
        Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
        byte[] stdout = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("chromium did not finish in 120 s");
        }
        assertEquals(0, p.exitValue(), () -> "chromium failed: " + readQuietly(log));
        return new String(stdout, java.nio.charset.StandardCharsets.UTF_8);
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (Exception e) {
            return e.toString();
        }
    }

    @Test
    void rendersInHeadlessChromiumWithEveryChart() throws Exception {
        String browser = chromium();
        Path html = dir.resolve("report.html");
        HtmlReport.write(synthetic(TestData.seed("HtmlReportTest.chromium")), html);
        String dom = runChromium(browser, "--dump-dom", html.toUri().toString());
        assertTrue(dom.contains("<table id=\"results\">"), "results table in the DOM");
        Map<String, String> charts = Map.of("chart-loss", "SMEN training loss", "chart-methods-logistic", "Every method per task, logistic probe",
                "chart-methods-mlp", "Every method per task, mlp probe", "chart-projection", "LURM user vectors (PCA), coloured by gender");
        for (var e : charts.entrySet()) {
            Matcher m = Pattern.compile("<svg[^>]*id=\"" + e.getKey() + "\"[^>]*>").matcher(dom);
            assertTrue(m.find(), "the DOM has svg#" + e.getKey());
            String tag = m.group();
            int w = attr(tag, "width"), h = attr(tag, "height");
            assertTrue(w >= 600 && h >= 300, e.getKey() + " is " + w + " x " + h);
            int end = dom.indexOf("</svg>", m.end());
            String body = dom.substring(m.end(), end);
            assertTrue(body.contains("<title>" + e.getValue() + "</title>"), e.getKey() + " title");
            assertTrue(body.split("<(path|rect|circle|line|polyline|text)", -1).length > 20, e.getKey() + " has drawing in it");
        }
        // pixels: the screenshot is not blank, and the charts' colours are on it
        Path png = dir.resolve("shot.png");
        runChromium(browser, "--window-size=1200,2600", "--hide-scrollbars", "--screenshot=" + png, html.toUri().toString());
        BufferedImage img = ImageIO.read(png.toFile());
        assertTrue(img != null && img.getWidth() == 1200, "a 1200-pixel-wide screenshot");
        long nonWhite = 0;
        java.util.Set<Integer> colours = new java.util.HashSet<>();
        for (int yy = 0; yy < img.getHeight(); yy += 2) {
            for (int xx = 0; xx < img.getWidth(); xx += 2) {
                int rgb = img.getRGB(xx, yy) & 0xffffff;
                if (rgb != 0xffffff) nonWhite++;
                colours.add(rgb);
            }
        }
        long total = (long) (img.getWidth() / 2) * (img.getHeight() / 2);
        assertTrue(nonWhite > total / 50, "screenshot is mostly blank: " + nonWhite + " of " + total);
        assertTrue(colours.contains(0x1f77b4) || colours.stream().anyMatch(c -> near(c, 0x1f77b4)), "the first series' blue is drawn");
        assertTrue(colours.stream().anyMatch(c -> near(c, 0xff7f0e)), "the second series' orange is drawn");
    }

    private static boolean near(int a, int b) {
        return Math.abs((a >> 16 & 255) - (b >> 16 & 255)) < 12 && Math.abs((a >> 8 & 255) - (b >> 8 & 255)) < 12 && Math.abs((a & 255) - (b & 255)) < 12;
    }

    private static int attr(String tag, String name) {
        Matcher m = Pattern.compile(" " + name + "=\"(\\d+)").matcher(tag);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }
}
