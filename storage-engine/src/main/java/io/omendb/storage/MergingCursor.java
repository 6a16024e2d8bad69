package io.omendb.storage;

import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Merges cursors that each yield unique ascending keys. When several sources hold the same key, the source
 * earliest in the list (the newest data) wins and the others are skipped. Tombstones pass through: a scan
 * filters them, a compaction decides whether it may drop them.
 */
final class MergingCursor implements Cursor {
    private record Head(Cursor cursor, int rank) {
    }

    private final PriorityQueue<Head> heap;
    private byte[] key;
    private byte[] value;

    MergingCursor(List<Cursor> newestFirst) {
        heap = new PriorityQueue<>(Math.max(1, newestFirst.size()), (a, b) -> {
            int c = Arrays.compareUnsigned(a.cursor.key(), b.cursor.key());
            return c != 0 ? c : Integer.compare(a.rank, b.rank);
        });
        for (int i = 0; i < newestFirst.size(); i++) {
            if (newestFirst.get(i).valid()) {
                heap.add(new Head(newestFirst.get(i), i));
            }
        }
        next();
    }

    @Override
    public boolean valid() {
        return key != null;
    }

    @Override
    public byte[] key() {
        return key;
    }

    @Override
    public byte[] value() {
        return value;
    }

    @Override
    public void next() {
        Head top = heap.poll();
        if (top == null) {
            key = null;
            return;
        }
        key = top.cursor.key();
        value = top.cursor.value();
        advance(top);
        while (!heap.isEmpty() && Arrays.equals(heap.peek().cursor.key(), key)) {
            advance(heap.poll()); // shadowed by a newer source
        }
    }

    private void advance(Head h) {
        h.cursor.next();
        if (h.cursor.valid()) {
            heap.add(h);
        }
    }
}
