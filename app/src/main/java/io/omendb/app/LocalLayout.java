package io.omendb.app;

import io.omendb.raft.LocalCluster;
import io.omendb.config.ConfigException;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

/**
 * The shape of a {@code local} cluster, kept in {@code <data-dir>/local-cluster.properties} so a restart finds its
 * data: node count, range count and each node's Raft port. The ports must be stable because every Raft group
 * records its peers' addresses in its log; a restart on fresh ports would leave the peers unable to reach each
 * other. Split points are derived from the range count ({@link #splitPoints}), so they are stable too: a data dir
 * written before two-byte points existed (at most 26 ranges, single letters) gets the same points back.
 */
record LocalLayout(int nodes, int ranges, int[] raftPorts) {
    static final String FILE_NAME = "local-cluster.properties";
    static final int NODES_MAX = 7;
    /**
     * Ranges at most. Every node of a local cluster holds a replica of every range in this one JVM, so this is
     * also range replicas per node; each costs threads and memory (docs/BENCHMARKS.md, "What a range costs a
     * node"). Far below the {@value #TWO_BYTE_POINTS} distinct two-byte split points.
     */
    static final int RANGES_MAX = 1_024;
    /** Ranges up to which split points are single lowercase letters. */
    static final int LETTER_RANGES_MAX = 26;
    private static final int TWO_BYTE_POINTS = 65_536;

    /** The stored layout, or a new one (free ports) saved to {@code dataDir}; refuses flags that contradict it. */
    static LocalLayout loadOrCreate(Path dataDir, Integer nodesOrNull, Integer rangesOrNull, int nodesDefault,
                                    int rangesDefault) throws IOException {
        Path file = dataDir.resolve(FILE_NAME);
        if (Files.exists(file)) {
            LocalLayout stored = read(file);
            requireSame("--nodes", nodesOrNull, stored.nodes, file);
            requireSame("--ranges", rangesOrNull, stored.ranges, file);
            return stored;
        }
        int nodes = nodesOrNull == null ? nodesDefault : nodesOrNull;
        int ranges = rangesOrNull == null ? rangesDefault : rangesOrNull;
        if (nodes < 1 || nodes > NODES_MAX) {
            throw new ConfigException("--nodes", "must be in [1, " + NODES_MAX + "], got " + nodes);
        }
        if (ranges < 1 || ranges > RANGES_MAX) {
            throw new ConfigException("--ranges", "must be in [1, " + RANGES_MAX + "] ranges (every node holds a "
                    + "replica of each; more would exhaust one JVM's threads), got " + ranges);
        }
        LocalLayout created = new LocalLayout(nodes, ranges, LocalCluster.freePorts(nodes));
        Files.createDirectories(dataDir);
        created.write(file);
        return created;
    }

    private static void requireSame(String flag, Integer given, int stored, Path file) {
        if (given != null && given != stored) {
            throw new ConfigException(flag, "the data dir holds a cluster created with " + flag + " " + stored
                    + " (" + file + "); omit the flag or use a fresh --data-dir");
        }
    }

    /**
     * {@code ranges - 1} ascending, distinct split points. Up to {@value #LETTER_RANGES_MAX} ranges: single
     * lowercase letters spread evenly over {@code 'a'..'z'}, where most hand-typed keys start (for 4 ranges
     * {@code "g", "n", "t"}; keys before {@code 'a'} fall in the first range, keys after {@code 'z'} in the last).
     * Above that: two-byte prefixes spread evenly over all {@value #TWO_BYTE_POINTS} values {@code 0x0000..0xffff},
     * so binary keys whose leading bytes vary (8-byte hashes, random ids) spread over every range, while text keys
     * (first byte {@code 0x20..0x7e}) fall in the 37 % of ranges that cover printable ASCII.
     */
    static List<byte[]> splitPoints(int ranges) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 1; i < ranges; i++) {
            if (ranges <= LETTER_RANGES_MAX) {
                out.add(new byte[] {(byte) ('a' + i * 26 / ranges)});
            } else {
                int prefix = (int) ((long) i * TWO_BYTE_POINTS / ranges);
                out.add(new byte[] {(byte) (prefix >>> 8), (byte) prefix});
            }
        }
        return out;
    }

    private static LocalLayout read(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        try {
            int nodes = Integer.parseInt(p.getProperty("nodes"));
            int ranges = Integer.parseInt(p.getProperty("ranges"));
            int[] ports = Arrays.stream(p.getProperty("raft_ports").split(",")).mapToInt(Integer::parseInt).toArray();
            if (ports.length != nodes) {
                throw new ConfigException(file.toString(), "raft_ports lists " + ports.length + " ports for "
                        + nodes + " nodes");
            }
            return new LocalLayout(nodes, ranges, ports);
        } catch (NumberFormatException | NullPointerException e) {
            throw new ConfigException(file.toString(), "unreadable (" + e + "); it is written by omendb local, "
                    + "restore it or use a fresh --data-dir");
        }
    }

    private void write(Path file) throws IOException {
        Properties p = new Properties();
        p.setProperty("nodes", Integer.toString(nodes));
        p.setProperty("ranges", Integer.toString(ranges));
        p.setProperty("raft_ports", String.join(",", Arrays.stream(raftPorts).mapToObj(Integer::toString).toList()));
        Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            p.store(w, "omendb local cluster layout; ports must stay stable across restarts");
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
