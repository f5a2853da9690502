/**
 * The {@code lurm} command ({@code org.lurm.cli.Main}): fit, encode, evaluate, inspect, generate, demo. An
 * application, not a library: nothing is exported; picocli reads the commands' annotated fields reflectively.
 */
module org.lurm.cli {
    requires org.lurm;
    requires org.lurm.eval;
    requires info.picocli;
    requires org.jfree.jfreechart;
    requires org.jfree.svg;
    requires java.desktop;
    requires java.logging;

    opens org.lurm.cli to info.picocli;
}
