package io.omendb.config;

import java.util.Locale;
import java.util.Optional;

/**
 * The {@code [index] model_type} choices, as the configuration spells them. The storage engine has its own
 * enum of the same names; raft-node maps one onto the other where it builds the engine's options, so this module
 * depends on no product module.
 */
public enum IndexModel {
    /** Root linear model routing to leaf linear models; every leaf's error is bounded by max_error. */
    RECURSIVE,
    /** One linear model over the whole segment; its error is measured, not bounded (a baseline). */
    LINEAR,
    /** Plain binary search over the sorted keys (the baseline the learned index is measured against). */
    BINARY;

    /** The value written in {@code omendb.toml}: the name in lower case. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The model named {@code value} in {@code omendb.toml}, or empty if there is none. */
    public static Optional<IndexModel> parse(String value) {
        for (IndexModel m : values()) {
            if (m.configName().equals(value)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }
}
