package io.omendb.benchcluster;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One range of a {@code GET /admin/ranges} answer (docs/API.md), the fields a growth run follows: its id, its leader
 * ({@code null} when none is known) and {@code data_bytes}, the keys and values its leader's engine stores, which is
 * what automatic splits decide by ({@code -1} when the leader did not answer).
 */
record RangeRow(long id, String leader, long dataBytes) {
    /** A range object up to its data_bytes; ids, leaders and numbers only, start/end are percent-encoded. */
    private static final Pattern RANGE = Pattern.compile(
            "\\{\"id\":(\\d+),.*?\"leader\":(?:null|\"([^\"]*)\").*?\"data_bytes\":(-?\\d+)");

    /** The ranges of an {@code /admin/ranges} body, in its (key) order; empty when it holds none. */
    static List<RangeRow> parse(String adminRangesJson) {
        List<RangeRow> rows = new ArrayList<>();
        Matcher m = RANGE.matcher(adminRangesJson);
        while (m.find()) {
            rows.add(new RangeRow(Long.parseLong(m.group(1)), m.group(2), Long.parseLong(m.group(3))));
        }
        return rows;
    }
}
