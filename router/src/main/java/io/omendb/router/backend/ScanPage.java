package io.omendb.router.backend;

import java.util.List;

/**
 * One page of a scan, in unsigned key order. {@code nextStartKeyOrNull} is where the next page starts, or null
 * when the requested interval is exhausted.
 */
public record ScanPage(List<KeyValue> items, byte[] nextStartKeyOrNull) {
    public ScanPage {
        items = List.copyOf(items);
    }
}
