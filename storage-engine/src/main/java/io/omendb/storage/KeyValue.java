package io.omendb.storage;

/** One live entry returned by a scan. The arrays are owned by the caller. */
public record KeyValue(byte[] key, byte[] value) {
}
