package io.omendb.storage;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * An ordered list of writes applied atomically: readers see all of them or none. Later ops in the batch
 * win over earlier ones on the same key. A delete-range removes every key in {@code [start, end)} that is live
 * at that point of the batch.
 */
public final class WriteBatch {
    public sealed interface Op permits Put, Delete, DeleteRange {
    }

    public record Put(byte[] key, byte[] value) implements Op {
        public Put {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }
    }

    public record Delete(byte[] key) implements Op {
        public Delete {
            Objects.requireNonNull(key, "key");
        }
    }

    public record DeleteRange(byte[] start, byte[] end) implements Op {
        public DeleteRange {
            Objects.requireNonNull(start, "start");
            Objects.requireNonNull(end, "end");
        }
    }

    private final List<Op> ops = new ArrayList<>();

    public WriteBatch put(byte[] key, byte[] value) {
        ops.add(new Put(key, value));
        return this;
    }

    public WriteBatch delete(byte[] key) {
        ops.add(new Delete(key));
        return this;
    }

    public WriteBatch deleteRange(byte[] start, byte[] end) {
        ops.add(new DeleteRange(start, end));
        return this;
    }

    public List<Op> ops() {
        return Collections.unmodifiableList(ops);
    }

    public int size() {
        return ops.size();
    }

    public boolean isEmpty() {
        return ops.isEmpty();
    }
}
