package io.omendb.benchcluster;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * etcd (Debian's {@code etcd-server}, 3.4) as a {@value #MEMBERS}-member cluster on loopback, every member a
 * process with etcd's defaults (WAL fsync on every commit batch, snapshot count, quotas) — nothing tuned up or
 * down. Driven with jetcd, etcd's Java gRPC client, balancing over the three client URLs; gets are etcd's
 * default linearizable reads (not {@code serializable}).
 */
final class EtcdTarget implements KvTarget {
    static final int MEMBERS = 3;
    static final String INSTALL_HINT = "etcd is not installed: install Debian's etcd 3.4 with "
            + "'apt-get install -y etcd-server' (or pass --etcd-binary PATH)";
    private static final long READY_TIMEOUT_MS = 60_000;

    private final String binary;
    private final Duration opTimeout;
    private final ChildProcesses children = new ChildProcesses();
    private Client client;
    private KV kv;

    EtcdTarget(String binary, Duration opTimeout) {
        this.binary = binary;
        this.opTimeout = opTimeout;
    }

    /** The etcd executable, or an error saying how to install it. */
    static String locate(String configured) {
        if (configured != null) {
            if (!Files.isExecutable(Path.of(configured))) {
                throw new IllegalStateException("--etcd-binary " + configured + " is not an executable file");
            }
            return configured;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path candidate = Path.of(dir, "etcd");
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        throw new IllegalStateException(INSTALL_HINT);
    }

    @Override
    public String name() {
        return "etcd";
    }

    @Override
    public void start(Path workDir) throws Exception {
        int[] client = new int[MEMBERS];
        int[] peer = new int[MEMBERS];
        List<String> initialCluster = new ArrayList<>();
        for (int i = 0; i < MEMBERS; i++) {
            client[i] = ChildProcesses.freePort();
            peer[i] = ChildProcesses.freePort();
            initialCluster.add("e" + (i + 1) + "=http://127.0.0.1:" + peer[i]);
        }
        List<String> endpoints = new ArrayList<>();
        for (int i = 0; i < MEMBERS; i++) {
            String clientUrl = "http://127.0.0.1:" + client[i];
            String peerUrl = "http://127.0.0.1:" + peer[i];
            endpoints.add(clientUrl);
            children.start("etcd-e" + (i + 1), List.of(binary, "--name", "e" + (i + 1),
                    "--data-dir", workDir.resolve("data-e" + (i + 1)).toString(),
                    "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl,
                    "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
                    "--initial-cluster", String.join(",", initialCluster),
                    "--initial-cluster-token", "omendb-bench", "--initial-cluster-state", "new"),
                    workDir, Map.of());
        }
        this.client = Client.builder().endpoints(endpoints.toArray(String[]::new))
                .connectTimeout(Duration.ofSeconds(5)).build();
        this.kv = this.client.getKVClient();
        awaitReady();
    }

    private void awaitReady() throws Exception {
        long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
        ByteSequence probe = ByteSequence.from("bench-probe", StandardCharsets.US_ASCII);
        while (true) {
            children.checkAlive();
            try {
                kv.put(probe, probe).get(2, TimeUnit.SECONDS);
                return;
            } catch (Exception e) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("etcd not serving writes after " + READY_TIMEOUT_MS + " ms: "
                            + e + "\n" + children.tails());
                }
                Thread.sleep(250);
            }
        }
    }

    @Override
    public void put(byte[] key, byte[] value) throws Exception {
        kv.put(ByteSequence.from(key), ByteSequence.from(value)).get(opTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public boolean get(byte[] key) throws Exception {
        return kv.get(ByteSequence.from(key)).get(opTimeout.toMillis(), TimeUnit.MILLISECONDS).getCount() > 0;
    }

    @Override
    public int scan(byte[] start, byte[] end, int limit) throws Exception {
        GetOption range = GetOption.builder().withRange(ByteSequence.from(end)).withLimit(limit).build();
        return kv.get(ByteSequence.from(start), range).get(opTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .getKvs().size();
    }

    @Override
    public void putAll(List<byte[]> keys, byte[] value) throws Exception {
        ByteSequence v = ByteSequence.from(value);
        Op[] puts = keys.stream().map(k -> Op.put(ByteSequence.from(k), v, PutOption.DEFAULT)).toArray(Op[]::new);
        kv.txn().Then(puts).commit().get(opTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public List<Long> pids() {
        return children.pids();
    }

    @Override
    public void close() {
        if (client != null) {
            client.close();
            client = null;
        }
        children.close();
    }
}
