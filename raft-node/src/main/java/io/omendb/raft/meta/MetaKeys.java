package io.omendb.raft.meta;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Keys of the meta group's per-node records: a prefix such as {@code "node/"} followed by the node id (UTF-8). */
final class MetaKeys {
    private MetaKeys() {
    }

    static byte[] withId(byte[] prefix, String nodeId) {
        byte[] id = nodeId.getBytes(StandardCharsets.UTF_8);
        byte[] key = Arrays.copyOf(prefix, prefix.length + id.length);
        System.arraycopy(id, 0, key, prefix.length, id.length);
        return key;
    }

    /** The node id a key of {@code prefix} names. */
    static String idOf(byte[] prefix, byte[] key) {
        return new String(key, prefix.length, key.length - prefix.length, StandardCharsets.UTF_8);
    }
}
