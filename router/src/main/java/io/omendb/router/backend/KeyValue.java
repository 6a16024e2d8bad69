package io.omendb.router.backend;

import java.util.Objects;

/** One scanned entry. */
public record KeyValue(byte[] key, byte[] value) {
    public KeyValue {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
    }
}
