package io.omendb.chaos.cluster;

import java.util.List;

/** One row of {@code GET /admin/ranges}: {@code end == null} is unbounded, {@code leader == null} unknown. */
public record RangeInfo(long id, String start, String end, String leader, List<String> peers, long appliedIndex) {
}
