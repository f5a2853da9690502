package org.lurm.cli.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.StatisticalBarRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.statistics.DefaultStatisticalCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.SVGGraphics2D;
import org.lurm.eval.EvaluationReport;
import org.lurm.eval.ResultRow;
import org.lurm.io.OutputFiles;

/**
 * The HTML report of {@code lurm evaluate} and {@code lurm demo}: one self-contained file (inline CSS and
 * inline SVG, no scripts, nothing fetched) with the results table, the training-loss curve, a bar chart of
 * every method per task for each probe, a 2-D projection of users coloured by a label, and the settings that
 * reproduce the run. Charts are drawn by JFreeChart onto JFreeSVG's SVG canvas; each SVG has a stable id
 * ({@code chart-loss}, {@code chart-methods-<probe>}, {@code chart-projection}) and a {@code <title>}.
 *
 * <p>Stateless; thread-safe (each call draws its own charts). Runs headless (sets {@code java.awt.headless}).
 */
public final class HtmlReport {
    static final int WIDTH = 900, HEIGHT = 420;
    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728),
            new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf)};
    private static final int MAX_CLASSES = 10;

    private HtmlReport() {
    }

    /**
     * Writes the report through {@link OutputFiles#write}: atomically for a file (temporary file, fsync, rename;
     * default permissions for a new file), into a device or pipe in place, never over a folder.
     */
    public static void write(EvaluationReport report, Path path) throws IOException {
        byte[] html = render(report).getBytes(StandardCharsets.UTF_8);
        OutputFiles.write(path, ch -> {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(html);
            while (b.hasRemaining()) ch.write(b);
        });
    }

    public static String render(EvaluationReport r) {
        System.setProperty("java.awt.headless", "true");
        StringBuilder h = new StringBuilder(1 << 16);
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").append(esc(r.title())).append("</title>\n<style>\n")
                .append("body{font-family:system-ui,-apple-system,'DejaVu Sans',sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}\n")
                .append("h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ddd}\n")
                .append("table{border-collapse:collapse;font-size:.9em}th,td{padding:.25em .6em;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}\n")
                .append("th{background:#f6f6f6}td.k,th.k{text-align:left}td.best{font-weight:bold;background:#eef6ee}\n")
                .append(".chart{margin:1em 0}.note{color:#666;font-size:.9em}\n</style>\n</head>\n<body>\n");
        h.append("<h1>").append(esc(r.title())).append("</h1>\n");
        h.append("<p class=\"note\">Mean ± standard deviation over cross-validation folds; higher is better; the best of each line is bold.</p>\n");

        h.append("<h2>Results</h2>\n");
        table(h, ResultGrid.of(r.rows()));

        h.append("<h2>Training loss</h2>\n");
        if (r.trainingLoss().isEmpty()) {
            h.append("<p class=\"note\" id=\"no-loss\">No model was trained in this run, so there is no training curve.</p>\n");
        } else {
            h.append("<div class=\"chart\">").append(svg(lossChart(r.trainingLoss()), "chart-loss", "SMEN training loss")).append("</div>\n");
        }

        h.append("<h2>Methods per task</h2>\n");
        ResultGrid grid = ResultGrid.of(r.rows());
        if (grid.lines().isEmpty()) h.append("<p class=\"note\">No results.</p>\n");
        for (String probe : grid.probes()) {
            String title = "Every method per task, " + probe + " probe";
            int height = Math.max(HEIGHT, 260 + 18 * grid.lines().size() / Math.max(1, grid.probes().size()));
            h.append("<div class=\"chart\">").append(svg(methodsChart(grid, probe, title), "chart-methods-" + slug(probe), title, WIDTH, height)).append("</div>\n");
        }

        h.append("<h2>Users in two dimensions</h2>\n");
        if (r.projection() == null) {
            h.append("<p class=\"note\" id=\"no-projection\">No projection in this run.</p>\n");
        } else {
            EvaluationReport.UserProjection p = r.projection();
            String title = p.method() + " user vectors (PCA), coloured by " + p.label();
            h.append("<div class=\"chart\">").append(svg(projectionChart(p, title), "chart-projection", title, WIDTH, 560)).append("</div>\n");
        }

        if (!r.settings().isEmpty()) {
            h.append("<h2>Settings</h2>\n<table id=\"settings\">\n");
            for (Map.Entry<String, String> e : r.settings().entrySet()) {
                h.append("<tr><td class=\"k\">").append(esc(e.getKey())).append("</td><td class=\"k\">").append(esc(e.getValue())).append("</td></tr>\n");
            }
            h.append("</table>\n");
        }
        h.append("</body>\n</html>\n");
        return h.toString();
    }

    private static void table(StringBuilder h, ResultGrid g) {
        boolean manyDatasets = g.datasets().size() > 1;
        h.append("<table id=\"results\">\n<thead><tr>");
        if (manyDatasets) h.append("<th class=\"k\">dataset</th>");
        h.append("<th class=\"k\">task</th><th class=\"k\">metric</th><th class=\"k\">probe</th>");
        for (String m : g.methods()) h.append("<th>").append(esc(m)).append("</th>");
        h.append("</tr></thead>\n<tbody>\n");
        for (ResultGrid.Line l : g.lines()) {
            h.append("<tr>");
            if (manyDatasets) h.append("<td class=\"k\">").append(esc(l.dataset())).append("</td>");
            h.append("<td class=\"k\">").append(esc(l.task())).append("</td><td class=\"k\">").append(esc(l.metric())).append("</td><td class=\"k\">")
                    .append(esc(l.probe())).append("</td>");
            int best = l.best();
            for (int i = 0; i < l.cells().size(); i++) {
                ResultRow c = l.cells().get(i);
                if (c == null) {
                    h.append("<td>–</td>");
                    continue;
                }
                StringBuilder folds = new StringBuilder("folds:");
                for (double v : c.perFold()) folds.append(String.format(Locale.ROOT, " %.4f", v));
                h.append("<td").append(i == best ? " class=\"best\"" : "").append(" title=\"").append(esc(folds.toString())).append("\">")
                        .append(String.format(Locale.ROOT, "%.3f ± %.3f", c.mean(), c.std())).append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</tbody>\n</table>\n");
    }

    static JFreeChart lossChart(List<EvaluationReport.LossPoint> points) {
        XYSeries train = new XYSeries("training loss (contrastive + diversity)");
        XYSeries held = new XYSeries("held-out loss");
        for (EvaluationReport.LossPoint p : points) {
            if (Double.isFinite(p.loss())) train.add(p.step(), p.loss());
            if (Double.isFinite(p.heldOutLoss())) held.add(p.step(), p.heldOutLoss());
        }
        XYSeriesCollection data = new XYSeriesCollection(train);
        if (held.getItemCount() > 0) data.addSeries(held);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
        r.setSeriesPaint(0, PALETTE[0]);
        r.setSeriesStroke(0, new BasicStroke(1.2f));
        r.setSeriesPaint(1, PALETTE[1]);
        r.setSeriesShapesVisible(1, true);
        r.setSeriesStroke(1, new BasicStroke(2f));
        NumberAxis x = new NumberAxis("step");
        x.setAutoRangeIncludesZero(false);
        NumberAxis y = new NumberAxis("loss");
        y.setAutoRangeIncludesZero(false);
        XYPlot plot = new XYPlot(data, x, y, r);
        return style(new JFreeChart("SMEN training loss", titleFont(), plot, true));
    }

    static JFreeChart methodsChart(ResultGrid g, String probe, String title) {
        DefaultStatisticalCategoryDataset data = new DefaultStatisticalCategoryDataset();
        boolean manyDatasets = g.datasets().size() > 1;
        for (ResultGrid.Line l : g.lines()) {
            if (!l.probe().equals(probe)) continue;
            String cat = (manyDatasets ? l.dataset() + " · " : "") + l.task() + " · " + l.metric();
            for (int i = 0; i < l.cells().size(); i++) {
                ResultRow c = l.cells().get(i);
                if (c != null) data.add(c.mean(), c.std(), g.methods().get(i), cat);
            }
        }
        CategoryAxis x = new CategoryAxis(null);
        x.setCategoryLabelPositions(CategoryLabelPositions.UP_45);
        NumberAxis y = new NumberAxis("score (mean ± std over folds)");
        StatisticalBarRenderer r = new StatisticalBarRenderer();
        r.setErrorIndicatorPaint(Color.DARK_GRAY);
        r.setShadowVisible(false);
        r.setDrawBarOutline(false);
        r.setItemMargin(0.05);
        for (int i = 0; i < g.methods().size(); i++) r.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
        CategoryPlot plot = new CategoryPlot(data, x, y, r);
        plot.setOrientation(PlotOrientation.VERTICAL);
        return style(new JFreeChart(title, titleFont(), plot, true));
    }

    static JFreeChart projectionChart(EvaluationReport.UserProjection p, String title) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (String c : p.classes()) counts.merge(c == null ? "(none)" : c, 1, Integer::sum);
        List<String> top = new ArrayList<>(counts.keySet());
        top.sort((a, b) -> Integer.compare(counts.get(b), counts.get(a)));
        if (top.size() > MAX_CLASSES) top = top.subList(0, MAX_CLASSES - 1);
        top.sort(null);
        Map<String, XYSeries> series = new LinkedHashMap<>();
        for (String c : top) series.put(c, new XYSeries(c, false, true));
        XYSeries other = new XYSeries("other", false, true);
        for (int i = 0; i < p.x().length; i++) {
            String c = p.classes()[i] == null ? "(none)" : p.classes()[i];
            series.getOrDefault(c, other).add(p.x()[i], p.y()[i]);
        }
        XYSeriesCollection data = new XYSeriesCollection();
        for (XYSeries s : series.values()) data.addSeries(s);
        if (other.getItemCount() > 0) data.addSeries(other);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(false, true);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            r.setSeriesShape(i, new Ellipse2D.Double(-2, -2, 4, 4));
            Color c = PALETTE[i % PALETTE.length];
            r.setSeriesPaint(i, new Color(c.getRed(), c.getGreen(), c.getBlue(), 170));
        }
        NumberAxis x = new NumberAxis("first principal component");
        x.setAutoRangeIncludesZero(false);
        NumberAxis y = new NumberAxis("second principal component");
        y.setAutoRangeIncludesZero(false);
        XYPlot plot = new XYPlot(data, x, y, r);
        return style(new JFreeChart(title, titleFont(), plot, true));
    }

    private static Font titleFont() {
        return new Font(Font.SANS_SERIF, Font.BOLD, 15);
    }

    private static JFreeChart style(JFreeChart c) {
        c.setBackgroundPaint(Color.WHITE);
        c.getPlot().setBackgroundPaint(new Color(0xfafafa));
        LegendTitle l = c.getLegend();
        if (l != null) l.setPosition(RectangleEdge.BOTTOM);
        return c;
    }

    static String svg(JFreeChart chart, String id, String title) {
        return svg(chart, id, title, WIDTH, HEIGHT);
    }

    /** The chart as an inline SVG element with the given id, a {@code <title>}, and defs ids unique to it. */
    static String svg(JFreeChart chart, String id, String title, int w, int h) {
        SVGGraphics2D g = new SVGGraphics2D(w, h);
        g.setDefsKeyPrefix(id + "-");
        // two decimals of a pixel are plenty, and keep the file small (what JFreeSVG's DoubleConverter(2) does; its
        // package is not exported by the org.jfree.svg module)
        java.text.DecimalFormat twoDecimals = new java.text.DecimalFormat("0.##", java.text.DecimalFormatSymbols.getInstance(java.util.Locale.US));
        g.setGeomDoubleConverter(twoDecimals::format);
        chart.draw(g, new Rectangle2D.Double(0, 0, w, h));
        String s = g.getSVGElement(id);
        int close = s.indexOf('>', s.indexOf("<svg"));
        return s.substring(0, close + 1) + "<title>" + esc(title) + "</title>" + s.substring(close + 1);
    }

    static String slug(String s) {
        return s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
    }

    /** HTML text and attribute escaping. */
    static String esc(String s) {
        if (s == null) return "";
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }
}
