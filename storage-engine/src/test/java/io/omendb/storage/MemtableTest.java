package io.omendb.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Point reads (hash index) and cursors (sorted run merged with the recent skip list) agree with a model at every
 * sequence number, whether the versions sit in the skip list, in the run, or in both, and while folds happen.
 */
class MemtableTest {

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aReaderSeesTheNewestVersionItsSequenceCovers() {
        Memtable m = new Memtable();
        m.put(b("k"), 1, b("one"), 10);
        m.put(b("k"), 3, Memtable.TOMBSTONE, 11);
        m.put(b("k"), 5, b("five"), 12);
        assertNull(m.get(b("k"), 0));
        assertArrayEquals(b("one"), m.get(b("k"), 1));
        assertArrayEquals(b("one"), m.get(b("k"), 2));
        assertSame(Memtable.TOMBSTONE, m.get(b("k"), 3));
        assertSame(Memtable.TOMBSTONE, m.get(b("k"), 4));
        assertArrayEquals(b("five"), m.get(b("k"), 5));
        assertArrayEquals(b("five"), m.get(b("k"), Long.MAX_VALUE));
        assertNull(m.get(b("other"), Long.MAX_VALUE));
    }

    @Test
    void keysAreMatchedByContentAndAnEmptyValueIsNotATombstone() {
        Memtable m = new Memtable();
        m.put(b("key"), 1, new byte[0], 1);
        byte[] got = m.get(b("key"), 1); // a different array with the same bytes
        assertArrayEquals(new byte[0], got);
        assertNull(m.get(b("ke"), 1));
        assertNull(m.get(b("key\0"), 1));
        assertNotSame(Memtable.TOMBSTONE, got);
    }

    /** Random writes over a small key space; gets and cursors at random sequences match a versioned model. */
    @ParameterizedTest
    @ValueSource(ints = {1, 3, 64, Memtable.RECENT_VERSIONS_MIN})
    void getAndCursorMatchAModelAtEverySequence(int recentVersionsMin) {
        Random random = new Random(7);
        Memtable m = new Memtable(recentVersionsMin);
        List<TreeMap<String, String>> stateAt = writeRandomly(m, random, 2_000);
        for (int probe = 0; probe < 2_000; probe++) {
            int seq = random.nextInt(stateAt.size());
            String key = "k" + random.nextInt(220);
            String expected = stateAt.get(seq).get(key);
            byte[] got = m.get(b(key), seq);
            if (expected != null) {
                assertArrayEquals(b(expected), got, key + " at " + seq);
            } else if (got != null) {
                assertSame(Memtable.TOMBSTONE, got, key + " at " + seq);
            }
        }
        for (int seq = 0; seq < stateAt.size(); seq += 97) {
            assertEquals(stateAt.get(seq), live(m.cursor(b(""), seq)), "cursor at " + seq);
            String start = "k" + random.nextInt(220);
            assertEquals(stateAt.get(seq).tailMap(start, true), live(m.cursor(b(start), seq)),
                    "cursor from " + start + " at " + seq);
        }
        assertEquals("k0", new String(m.firstKey(), StandardCharsets.UTF_8));
        assertEquals("k99", new String(m.lastKey(), StandardCharsets.UTF_8));
    }

    @Test
    void aSequenceThatDoesNotGrowIsRefused() {
        Memtable m = new Memtable();
        m.put(b("a"), 5, b("v"), 1);
        assertThrows(IllegalArgumentException.class, () -> m.put(b("b"), 5, b("v"), 2));
        assertThrows(IllegalArgumentException.class, () -> m.put(b("b"), 4, b("v"), 2));
        assertNull(m.get(b("b"), Long.MAX_VALUE));
    }

    /** Readers iterating while the writer keeps folding see exactly the state of their sequence. */
    @Test
    void cursorsStayConsistentWhileTheWriterFolds() throws Exception {
        Memtable m = new Memtable(8);
        Random random = new Random(11);
        List<TreeMap<String, String>> stateAt = writeRandomly(m, random, 500);
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            Random r = new Random(13);
            try {
                while (writing.get()) {
                    int seq = r.nextInt(stateAt.size());
                    assertEquals(stateAt.get(seq), live(m.cursor(b(""), seq)), "cursor at " + seq);
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        reader.start();
        for (long seq = stateAt.size(); seq < 20_000; seq++) {
            m.put(b("k" + random.nextInt(200)), seq, b("late" + seq), seq); // beyond every reader's sequence
        }
        writing.set(false);
        reader.join();
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
    }

    /** Writes seq 1..count over 200 keys (a fifth deletions); element s of the result is the live state after s. */
    private static List<TreeMap<String, String>> writeRandomly(Memtable m, Random random, int count) {
        List<TreeMap<String, String>> stateAt = new ArrayList<>();
        stateAt.add(new TreeMap<>());
        for (long seq = 1; seq <= count; seq++) {
            String key = "k" + random.nextInt(200);
            TreeMap<String, String> next = new TreeMap<>(stateAt.get((int) seq - 1));
            if (random.nextInt(5) == 0) {
                m.put(b(key), seq, Memtable.TOMBSTONE, seq);
                next.remove(key);
            } else {
                String value = "v" + seq;
                m.put(b(key), seq, b(value), seq);
                next.put(key, value);
            }
            stateAt.add(next);
        }
        return stateAt;
    }

    private static TreeMap<String, String> live(Cursor c) {
        TreeMap<String, String> seen = new TreeMap<>();
        for (; c.valid(); c.next()) {
            if (c.value() != null) {
                seen.put(new String(c.key(), StandardCharsets.UTF_8), new String(c.value(), StandardCharsets.UTF_8));
            }
        }
        return seen;
    }
}
