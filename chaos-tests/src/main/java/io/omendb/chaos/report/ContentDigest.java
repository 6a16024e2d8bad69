package io.omendb.chaos.report;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * SHA-256 over {@code key=value\n} lines fed in ascending key order, plus their count: equal results, equal
 * contents. Streaming, so a replica holding gigabytes is compared page by page without holding it. Not thread-safe.
 */
public final class ContentDigest {
    private final MessageDigest sha;
    private String lastKey;
    private long keys;

    public ContentDigest() {
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Adds one item; keys must come in strictly ascending order (what a scan returns). */
    public ContentDigest add(String key, String value) {
        if (lastKey != null && key.compareTo(lastKey) <= 0) {
            throw new IllegalArgumentException("keys out of order: " + key + " after " + lastKey);
        }
        lastKey = key;
        keys++;
        sha.update((key + "=" + value + "\n").getBytes(StandardCharsets.UTF_8));
        return this;
    }

    /** {@code "N keys, sha256 <first 16 hex digits>"}; ends the digest. */
    public String result() {
        return keys + " keys, sha256 " + HexFormat.of().formatHex(sha.digest()).substring(0, 16);
    }
}
