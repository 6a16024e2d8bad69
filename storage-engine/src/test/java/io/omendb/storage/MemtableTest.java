package io.omendb.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Point reads (hash index) and cursors (skip list) agree with a model at every sequence number. */
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
    @Test
    void getAndCursorMatchAModelAtEverySequence() {
        Random random = new Random(7);
        Memtable m = new Memtable();
        List<TreeMap<String, String>> stateAt = new ArrayList<>(); // stateAt[s]: live keys after seq s
        stateAt.add(new TreeMap<>());
        for (long seq = 1; seq <= 2_000; seq++) {
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
            TreeMap<String, String> seen = new TreeMap<>();
            for (Cursor c = m.cursor(b(""), seq); c.valid(); c.next()) {
                if (c.value() != null) {
                    seen.put(new String(c.key(), StandardCharsets.UTF_8), new String(c.value(), StandardCharsets.UTF_8));
                }
            }
            assertEquals(stateAt.get(seq), seen, "cursor at " + seq);
        }
    }
}
