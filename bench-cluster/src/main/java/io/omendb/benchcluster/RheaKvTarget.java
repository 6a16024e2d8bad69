package io.omendb.benchcluster;

import com.alipay.sofa.jraft.rhea.client.DefaultRheaKVStore;
import com.alipay.sofa.jraft.rhea.storage.KVEntry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * SOFAJRaft's RheaKV 1.3.15: {@value #STORES} stores with RocksDB state machines and a fake placement driver in
 * one separate JVM ({@link RheaKvServerMain}, this module's classpath), the same regions as OmenDB's ranges,
 * Raft log fsync on every append. The client ({@link DefaultRheaKVStore} without a store engine, RheaKV's
 * defaults including its client-side batching) runs in the bench JVM. Gets and scans pass
 * {@code readOnlySafe = true} (ReadIndex, linearizable).
 */
final class RheaKvTarget implements KvTarget {
    static final int STORES = 3;
    private static final long READY_TIMEOUT_MS = 120_000;

    private final KeySpace keys;
    private final int regionCount;
    private final String jvmOptions;
    private final long opTimeoutMs;
    private final ChildProcesses children = new ChildProcesses();
    private DefaultRheaKVStore client;

    RheaKvTarget(KeySpace keys, int regionCount, String jvmOptions, long opTimeoutMs) {
        this.keys = keys;
        this.regionCount = regionCount;
        this.jvmOptions = jvmOptions;
        this.opTimeoutMs = opTimeoutMs;
    }

    @Override
    public String name() {
        return "rheakv";
    }

    @Override
    public void start(Path workDir) throws Exception {
        List<Integer> ports = new ArrayList<>();
        for (int i = 0; i < STORES; i++) {
            ports.add(ChildProcesses.freePort());
        }
        RheaKvLayout layout = new RheaKvLayout("omendb-bench", ports, keys.splitPoints(regionCount));
        List<String> command = new ArrayList<>();
        command.add(ChildProcesses.javaBinary());
        command.addAll(List.of(jvmOptions.trim().split("\\s+")));
        command.addAll(List.of("--add-opens", "java.base/java.lang=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), RheaKvServerMain.class.getName(),
                workDir.resolve("data").toString()));
        command.addAll(layout.toArgs());
        children.start("rheakv-stores", command, workDir, Map.of());
        awaitStoresStarted(workDir.resolve("rheakv-stores.log"));
        client = new DefaultRheaKVStore();
        if (!client.init(layout.clientOptions())) {
            throw new IllegalStateException("RheaKV client failed to start");
        }
        awaitWritable();
    }

    private void awaitStoresStarted(Path log) throws Exception {
        long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
        while (!(Files.exists(log) && Files.readString(log, StandardCharsets.ISO_8859_1)
                .contains(RheaKvServerMain.READY))) {
            children.checkAlive();
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("RheaKV stores not started after " + READY_TIMEOUT_MS + " ms\n"
                        + children.tails());
            }
            Thread.sleep(250);
        }
    }

    /** Every region has a leader once a write to each region commits. */
    private void awaitWritable() throws Exception {
        long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
        for (int region = 0; region < regionCount; region++) {
            byte[] probe = keys.key(keys.keyCount() * region / regionCount);
            while (true) {
                children.checkAlive();
                try {
                    put(probe, probe);
                    break;
                } catch (Exception e) {
                    if (System.currentTimeMillis() > deadline) {
                        throw new IllegalStateException("RheaKV region " + (region + 1) + " not writable: " + e
                                + "\n" + children.tails());
                    }
                    Thread.sleep(250);
                }
            }
        }
    }

    @Override
    public void put(byte[] key, byte[] value) throws Exception {
        if (!client.put(key, value).get(opTimeoutMs, TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("RheaKV put answered false");
        }
    }

    @Override
    public boolean get(byte[] key) throws Exception {
        return client.get(key, true).get(opTimeoutMs, TimeUnit.MILLISECONDS) != null;
    }

    @Override
    public int scan(byte[] start, byte[] end, int limit) throws Exception {
        List<KVEntry> entries = client.scan(start, end, true).get(opTimeoutMs, TimeUnit.MILLISECONDS);
        return Math.min(limit, entries.size());
    }

    @Override
    public void putAll(List<byte[]> batchKeys, byte[] value) throws Exception {
        List<KVEntry> entries = batchKeys.stream().map(k -> new KVEntry(k, value)).toList();
        if (!client.put(entries).get(opTimeoutMs, TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("RheaKV batch put answered false");
        }
    }

    @Override
    public List<Long> pids() {
        return children.pids();
    }

    @Override
    public void close() {
        if (client != null) {
            client.shutdown();
            client = null;
        }
        children.close();
    }
}
