package io.omendb.app;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.omendb.app.LocalProcess.body;
import static io.omendb.app.LocalProcess.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A range split as an operator runs it, against {@code omendb local} in its own JVM: {@code omendb admin split} (a
 * second JVM, authenticated through {@code OMENDB_PASSWORD}) splits range 1 while a writer keeps writing to both of
 * its halves through the HTTP API; afterwards every acknowledged write reads back, a paged scan across the split point
 * sees every key once and in order, {@code /admin/ranges} shows five ranges with the new epochs, a batch across the
 * split point is refused with 409 {@code cross_range_batch}, the metrics count the split, a bad split key is refused
 * with exit code 1 and {@code bad_split}, and after a restart of the process all of it still holds; then
 * {@code omendb admin merge} puts the halves back together under writes ({@link #mergeBackUnderWrites}).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class SplitEndToEndTest {
    @TempDir
    Path tmp;

    @Test
    void adminSplitUnderWritesLosesNothingAndSurvivesRestart() throws Exception {
        Map<String, String> acked = new ConcurrentHashMap<>();
        try (LocalProcess local = LocalProcess.start(tmp.resolve("data"), tmp.resolve("local.log"))) {
            for (int i = 0; i < 100; i++) {
                put(local, acked, String.format("c%03d", i * 2), "v" + i);
            }
            AtomicBoolean stop = new AtomicBoolean();
            List<Throwable> writerErrors = new ArrayList<>();
            Thread writer = new Thread(() -> {
                try {
                    for (int i = 0; !stop.get(); i++) {
                        put(local, acked, String.format("c%03d", (i * 7) % 200), "w" + i);
                    }
                } catch (Exception | AssertionError e) {
                    writerErrors.add(e);
                }
            });
            writer.start();
            LocalProcess.CliRun split = local.admin(tmp, "split", "--range", "1", "--key", "c100");
            Thread.sleep(500);
            stop.set(true);
            writer.join();
            assertEquals(List.of(), writerErrors, "no write failed across the split");
            assertEquals(0, split.exitCode(), split.toString());
            JsonNode answer = LocalProcess.JSON.readTree(split.stdout());
            assertEquals("c100", answer.get("left").get("end").asText());
            assertEquals("c100", answer.get("right").get("start").asText());
            long newId = answer.get("right").get("id").asLong();
            assertTrue(newId > 4, "a new range id: " + answer);

            LocalProcess.CliRun bad = local.admin(tmp, "split", "--range", "1", "--key", "zzz");
            assertEquals(1, bad.exitCode(), bad.toString());
            assertTrue(bad.stderr().contains("bad_split"), bad.toString());

            checkEverything(local, acked, newId);
            String metrics = body(local.metrics());
            assertTrue(metrics.contains("omendb_ranges{node=\"n1\"} 5.0"), "omendb_ranges counts the new range");
            assertTrue(metrics.contains("omendb_range_splits_total{node=\"n1\",range=\"1\"} 1.0"),
                    "omendb_range_splits_total counts the split");
            local.stopAndExpectCleanExit();
            try (LocalProcess restarted = local.restart(tmp.resolve("local2.log"))) {
                checkEverything(restarted, acked, newId);
                mergeBackUnderWrites(restarted, acked, newId);
                restarted.stopAndExpectCleanExit();
            }
        }
    }

    /**
     * {@code omendb admin merge} puts the two halves back together while the writer writes to both: every write is
     * kept, {@code /admin/ranges} shows four ranges again (range 1 up to where the right half ended, a higher epoch),
     * a batch across the old split point is accepted again, the metrics count the merge, and merging the last range
     * is refused with exit code 1 and {@code bad_merge}.
     */
    private void mergeBackUnderWrites(LocalProcess local, Map<String, String> acked, long rightId) throws Exception {
        JsonNode before = json(local.send("GET", "/admin/ranges", (String) null)).get("ranges");
        AtomicBoolean stop = new AtomicBoolean();
        List<Throwable> writerErrors = new ArrayList<>();
        Thread writer = new Thread(() -> {
            try {
                for (int i = 0; !stop.get(); i++) {
                    put(local, acked, String.format("c%03d", (i * 11) % 200), "m" + i);
                }
            } catch (Exception | AssertionError e) {
                writerErrors.add(e);
            }
        });
        writer.start();
        LocalProcess.CliRun merge = local.admin(tmp, "merge", "--range", "1");
        Thread.sleep(500);
        stop.set(true);
        writer.join();
        assertEquals(List.of(), writerErrors, "no write failed across the merge");
        assertEquals(0, merge.exitCode(), merge.toString());
        JsonNode answer = LocalProcess.JSON.readTree(merge.stdout());
        assertEquals(rightId, answer.get("removed").get("id").asLong(), answer.toString());
        assertEquals(before.get(1).get("end").asText(), answer.get("merged").get("end").asText(), answer.toString());

        LocalProcess.CliRun last = local.admin(tmp, "merge", "--range", String.valueOf(before.get(before.size() - 1).get("id").asLong()));
        assertEquals(1, last.exitCode(), last.toString());
        assertTrue(last.stderr().contains("bad_merge"), last.toString());

        for (Map.Entry<String, String> e : acked.entrySet()) {
            HttpResponse<byte[]> r = local.send("GET", "/v1/kv/" + e.getKey(), (String) null);
            assertEquals(200, r.statusCode(), "acknowledged write lost: " + e.getKey());
            assertEquals(e.getValue(), body(r), e.getKey());
        }
        assertEquals(new ArrayList<>(new TreeMap<>(acked).keySet()), local.scanAll(7));
        JsonNode ranges = json(local.send("GET", "/admin/ranges", (String) null)).get("ranges");
        assertEquals(4, ranges.size(), ranges.toString());
        assertTrue(ranges.get(0).get("epoch").asLong() > before.get(1).get("epoch").asLong(), ranges.toString());
        HttpResponse<byte[]> batch = local.send("POST", "/v1/batch", """
                {"ops":[{"op":"put","key":"c050","value":"x"},{"op":"put","key":"c150","value":"x"}]}""");
        assertEquals(200, batch.statusCode(), "one range again: " + body(batch));
        acked.put("c050", "x");
        acked.put("c150", "x");
        assertTrue(body(local.metrics()).contains("omendb_range_merges_total{node=\"n1\",range=\"1\"} 1.0"),
                "omendb_range_merges_total counts the merge");
    }

    private static void put(LocalProcess local, Map<String, String> acked, String key, String value) throws Exception {
        HttpResponse<byte[]> r = local.send("PUT", "/v1/kv/" + key, value);
        assertEquals(200, r.statusCode(), key + ": " + body(r));
        acked.put(key, value);
    }

    private static void checkEverything(LocalProcess local, Map<String, String> acked, long newId) throws Exception {
        for (Map.Entry<String, String> e : acked.entrySet()) {
            HttpResponse<byte[]> r = local.send("GET", "/v1/kv/" + e.getKey(), (String) null);
            assertEquals(200, r.statusCode(), "acknowledged write lost: " + e.getKey());
            assertEquals(e.getValue(), body(r), e.getKey());
        }
        List<String> expected = new ArrayList<>(new TreeMap<>(acked).keySet());
        assertEquals(expected, local.scanAll(7), "a paged scan across the split sees every key once, in order");
        JsonNode ranges = json(local.send("GET", "/admin/ranges", (String) null)).get("ranges");
        assertEquals(5, ranges.size(), ranges.toString());
        assertEquals(2, ranges.get(0).get("epoch").asLong(), "the split bumped range 1's epoch: " + ranges);
        assertEquals(newId, ranges.get(1).get("id").asLong(), ranges.toString());
        HttpResponse<byte[]> batch = local.send("POST", "/v1/batch", """
                {"ops":[{"op":"put","key":"c050","value":"x"},{"op":"put","key":"c150","value":"x"}]}""");
        assertEquals(409, batch.statusCode(), body(batch));
        assertEquals("cross_range_batch", json(batch).get("error").asText());
    }
}
