package io.omendb.storage;

import java.util.Locale;

/** The {@code [index] model_type} choices: how a segment finds a key's position among its sorted keys. */
public enum ModelType {
    /**
     * A radix root routing to piecewise-linear leaves ({@code index.RadixLinearIndex}); every leaf's error is
     * bounded by max_error. (Segments written before it hold a recursive model tree and still read.)
     */
    RECURSIVE,
    /** One linear model over the whole segment; its error is measured, not bounded (a baseline). */
    LINEAR,
    /** Plain binary search over the sorted keys (the baseline the learned index is measured against). */
    BINARY;

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ModelType parse(String value) {
        for (ModelType t : values()) {
            if (t.configName().equals(value)) {
                return t;
            }
        }
        throw new IllegalArgumentException("model_type must be one of recursive, linear, binary, not '" + value + "'");
    }
}
