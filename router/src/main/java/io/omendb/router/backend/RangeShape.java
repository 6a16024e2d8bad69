package io.omendb.router.backend;

import java.util.List;

/** One range descriptor of the range table: its keys {@code [start, endOrNull)}, replicas and epoch. */
public record RangeShape(long id, byte[] start, byte[] endOrNull, List<String> peers, long epoch) {
    public RangeShape {
        peers = List.copyOf(peers);
    }
}
