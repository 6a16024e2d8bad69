package io.omendb.chaos.workload;

import io.omendb.chaos.cluster.ChaosCluster;
import io.omendb.chaos.cluster.NodeProcess;
import io.omendb.linearizability.Op;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Concurrent clients over HTTP: each thread loops picking a node (any node: clients do not know about faults), a
 * range and an operation: 30% linearizable GET, 30% PUT, 20% CAS (expecting the last value this client saw for
 * the key), 10% DELETE, 10% linearizable scan of the range's current key epoch. Values are unique per write
 * ({@code <client>-<seq>}) so a read names the write it saw. Every operation is bounded by the client's request
 * timeout, so {@link #stop()} returns within that bound. A client's failure (a bug in the harness or an
 * unparseable answer) is kept and rethrown by {@link #stop()}.
 */
public final class Workload {
    static final int SCAN_LIMIT = 1000;
    static final long THINK_MS = 5;

    private final ChaosCluster cluster;
    private final KvClient kv;
    private final KeySpace keys;
    private final int clients;
    private final long seed;
    private final long originNs;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final List<Thread> threads = new ArrayList<>();

    public Workload(ChaosCluster cluster, KvClient kv, KeySpace keys, int clients, long seed, long originNs) {
        this.cluster = cluster;
        this.kv = kv;
        this.keys = keys;
        this.clients = clients;
        this.seed = seed;
        this.originNs = originNs;
    }

    public void start() {
        running.set(true);
        for (int c = 0; c < clients; c++) {
            int client = c;
            Thread t = new Thread(() -> runClient(client), "chaos-client-" + c);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    public void stop() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.join();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("a workload client failed", failure.get());
        }
    }

    private void runClient(int client) {
        Random random = new Random(seed * 31 + client);
        Map<String, String> lastSeen = new HashMap<>();
        long seq = 0;
        String process = "c" + client;
        List<NodeProcess> nodes = cluster.nodes();
        try {
            while (running.get()) {
                NodeProcess node = nodes.get(random.nextInt(nodes.size()));
                int range = random.nextInt(keys.ranges());
                long epoch = keys.epoch((System.nanoTime() - originNs) / 1_000_000);
                String key = keys.key(range, epoch, random.nextInt(keys.keysPerRange()));
                String value = process + "-" + (seq++);
                int dice = random.nextInt(100);
                Op op = null;
                if (dice < 30) {
                    op = kv.get(process, node, key).join();
                } else if (dice < 60) {
                    op = kv.put(process, node, key, value).join();
                } else if (dice < 80) {
                    op = kv.cas(process, node, key, lastSeen.get(key), value).join();
                } else if (dice < 90) {
                    op = kv.delete(process, node, key).join();
                } else {
                    List<String> epochKeys = new ArrayList<>();
                    for (int i = 0; i < keys.keysPerRange(); i++) {
                        epochKeys.add(keys.key(range, epoch, i));
                    }
                    kv.recordedScan(process, node, keys.epochStart(range, epoch), keys.epochEnd(range, epoch),
                            epochKeys, SCAN_LIMIT);
                }
                if (op != null && op.outcome() == Op.Outcome.OK) {
                    lastSeen.put(key, switch (op.type()) {
                        case GET, CAS -> op.result();
                        case PUT -> op.value();
                        case DELETE -> null;
                    });
                }
                Thread.sleep(THINK_MS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
        }
    }
}
