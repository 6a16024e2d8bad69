package io.omendb.router.backend;

/** A stored value and the revision of the write that produced it. */
public record Versioned(byte[] value, long revision) {
    public Versioned {
        java.util.Objects.requireNonNull(value, "value");
    }
}
