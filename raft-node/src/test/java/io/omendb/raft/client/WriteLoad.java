package io.omendb.raft.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.omendb.raft.TestClusters.await;
import static io.omendb.raft.TestClusters.b;

/**
 * One writer thread for tests that change a range's shape under writes: puts {@code "k%04d"} keys (stepping by 37
 * over {@code keys} of them, so both sides of any boundary get writes) with values {@code "w<n>"}, one at a time,
 * recording every acknowledged write in {@code acked}; the first failure stops it and is kept for {@link #stop}.
 */
final class WriteLoad {
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Throwable> errors = new ArrayList<>();
    private final Thread thread;

    private WriteLoad(ClusterClient client, Map<String, String> acked, int keys) {
        thread = new Thread(() -> {
            int i = 0;
            while (!stop.get()) {
                String k = String.format("k%04d", (i * 37) % keys);
                String v = "w" + i++;
                try {
                    await(client.put(b(k), b(v)));
                    acked.put(k, v);
                } catch (Exception e) {
                    errors.add(e);
                    return;
                }
            }
        }, "test-write-load");
    }

    static WriteLoad start(ClusterClient client, Map<String, String> acked, int keys) {
        WriteLoad w = new WriteLoad(client, acked, keys);
        w.thread.start();
        return w;
    }

    /** Stops the writer and returns its failure, if any (an empty list: every write it sent was acknowledged). */
    List<Throwable> stop() throws InterruptedException {
        stop.set(true);
        thread.join();
        return errors;
    }
}
