package io.omendb.benchcluster;

import java.util.Locale;

/** The operation mixes: the share of each operation a client picks, per request. */
enum Workload {
    /** 100% put. */
    WRITE(0, 1.0),
    /** 100% linearizable get. */
    READ(1.0, 0),
    /** 95% linearizable get, 5% put. */
    MIXED(0.95, 0.05),
    /** 100% linearizable scans of {@value #SCAN_KEYS} consecutive keys. */
    SCAN(0, 0);

    static final int SCAN_KEYS = 100;

    enum Op { GET, PUT, SCAN }

    private final double getShare;
    private final double putShare;

    Workload(double getShare, double putShare) {
        this.getShare = getShare;
        this.putShare = putShare;
    }

    String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Maps a uniform draw in [0, 1) to the operation. */
    Op pick(double draw) {
        if (this == SCAN) {
            return Op.SCAN;
        }
        return draw < getShare ? Op.GET : (draw < getShare + putShare ? Op.PUT : Op.GET);
    }

    static Workload parse(String text) {
        for (Workload w : values()) {
            if (w.label().equals(text.trim().toLowerCase(Locale.ROOT))) {
                return w;
            }
        }
        throw new IllegalArgumentException("unknown workload '" + text + "' (use write, read, mixed or scan)");
    }
}
