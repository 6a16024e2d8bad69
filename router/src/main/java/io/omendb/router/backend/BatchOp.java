package io.omendb.router.backend;

import java.util.Objects;

/** One operation of a batch: a put (with a value) or a delete (without). */
public record BatchOp(Type type, byte[] key, byte[] valueOrNull) {

    public enum Type { PUT, DELETE }

    public BatchOp {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(key, "key");
        if ((type == Type.PUT) != (valueOrNull != null)) {
            throw new IllegalArgumentException("a put needs a value and a delete has none");
        }
    }

    public static BatchOp put(byte[] key, byte[] value) {
        return new BatchOp(Type.PUT, key, Objects.requireNonNull(value, "value"));
    }

    public static BatchOp delete(byte[] key) {
        return new BatchOp(Type.DELETE, key, null);
    }
}
