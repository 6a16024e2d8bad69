package io.omendb.chaos.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The network the nodes live on, and the nemesis's handle on it.
 *
 * <p><b>Namespaces (the normal case).</b> Each node gets its own Linux network namespace with one veth pair whose
 * host end is enslaved to a bridge in the root namespace; the bridge holds {@code 10.77.X.1/24} (X chosen so the
 * subnet is unused on this machine) and node i holds {@code 10.77.X.(10+i)}. The harness (root namespace) reaches
 * every node through the bridge. A cut {@code a -> b} is an iptables DROP of packets to b's address in a's
 * OUTPUT chain, so one-way cuts are real; healing flushes every namespace's OUTPUT chain (only our rules live
 * there).
 *
 * <p><b>Loopback fallback</b>, used only when namespaces cannot be created (not root, no {@code ip netns}): node i
 * binds {@code 127.0.77.(10+i)} and cuts are DROP rules with source and destination in a private chain of the root
 * namespace (needs iptables and root; without them partitions are unavailable and {@link #canPartition()} says
 * so). {@link #mode()} names which one is in use, for the report.
 *
 * <p><b>Cleanup.</b> {@link #close()} deletes every namespace, link and rule this instance created; it is also
 * registered as a JVM shutdown hook. Names carry a random run id, so concurrent runs never share anything.
 * Thread-safe for cut/heal (synchronized); setup happens in the factory.
 */
public final class ChaosNetwork implements AutoCloseable {
    public enum Mode { NAMESPACES, LOOPBACK }

    private static final int NODE_HOST_BASE = 10;

    private final Mode mode;
    private final String runId;
    private final int nodes;
    private final String subnetPrefix;
    private final boolean canPartition;
    private final String fallbackReason;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread shutdownHook = new Thread(this::close, "chaos-network-cleanup");
    private final List<String> created = new ArrayList<>();

    private ChaosNetwork(Mode mode, String runId, int nodes, String subnetPrefix, boolean canPartition,
                         String fallbackReason) {
        this.mode = mode;
        this.runId = runId;
        this.nodes = nodes;
        this.subnetPrefix = subnetPrefix;
        this.canPartition = canPartition;
        this.fallbackReason = fallbackReason;
    }

    /** Namespaces when possible, else the loopback fallback (the reason is kept for the report). */
    public static ChaosNetwork create(int nodes, Random random) {
        String runId = String.format("%05x", random.nextInt(1 << 20));
        String subnet = freeSubnet(random);
        ChaosNetwork net = new ChaosNetwork(Mode.NAMESPACES, runId, nodes, subnet, true, null);
        Runtime.getRuntime().addShutdownHook(net.shutdownHook);
        try {
            net.setUpNamespaces();
            return net;
        } catch (RuntimeException e) {
            net.close();
            String reason = "network namespaces unavailable: " + e.getMessage();
            boolean iptables = Shell.runQuietly(List.of("iptables", "-L", "OUTPUT", "-n")) == null;
            ChaosNetwork fallback = new ChaosNetwork(Mode.LOOPBACK, runId, nodes, "127.0.77", iptables, reason);
            Runtime.getRuntime().addShutdownHook(fallback.shutdownHook);
            if (iptables) {
                fallback.setUpLoopbackChain();
            }
            return fallback;
        }
    }

    private static String freeSubnet(Random random) {
        String addrs;
        try {
            addrs = Shell.run(List.of("ip", "-4", "addr"));
        } catch (RuntimeException noIp) {
            addrs = "";
        }
        for (int attempt = 0; attempt < 64; attempt++) {
            String prefix = "10.77." + (1 + random.nextInt(250));
            if (!addrs.contains(prefix + ".")) {
                return prefix;
            }
        }
        throw new IllegalStateException("no free 10.77.X.0/24 subnet on this machine");
    }

    private String bridge() {
        return "omch" + runId;
    }

    private String hostVeth(int i) {
        return "omch" + runId + "h" + i;
    }

    public String namespace(int i) {
        return "omch-" + runId + "-n" + i;
    }

    private void setUpNamespaces() {
        ip("link", "add", bridge(), "type", "bridge");
        created.add("link:" + bridge());
        ip("addr", "add", subnetPrefix + ".1/24", "dev", bridge());
        ip("link", "set", bridge(), "up");
        for (int i = 0; i < nodes; i++) {
            String ns = namespace(i);
            String inner = "omch" + runId + "c" + i;
            ip("netns", "add", ns);
            created.add("netns:" + ns);
            ip("link", "add", hostVeth(i), "type", "veth", "peer", "name", inner);
            created.add("link:" + hostVeth(i));
            ip("link", "set", hostVeth(i), "master", bridge(), "up");
            ip("link", "set", inner, "netns", ns);
            ip("-n", ns, "addr", "add", address(i) + "/24", "dev", inner);
            ip("-n", ns, "link", "set", inner, "up");
            ip("-n", ns, "link", "set", "lo", "up");
        }
        // the harness must reach the nodes before anything starts: fail now rather than time out later
        Shell.run(List.of("ip", "netns", "exec", namespace(0), "iptables", "-L", "OUTPUT", "-n"));
    }

    private String chain() {
        return "OMCH-" + runId;
    }

    private void setUpLoopbackChain() {
        Shell.run(List.of("iptables", "-N", chain()));
        Shell.run(List.of("iptables", "-I", "OUTPUT", "-j", chain()));
        created.add("chain:" + chain());
    }

    private static void ip(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("ip");
        cmd.addAll(List.of(args));
        Shell.run(cmd);
    }

    public Mode mode() {
        return mode;
    }

    /** Why the loopback fallback is in use, or null with namespaces. */
    public String fallbackReason() {
        return fallbackReason;
    }

    public boolean canPartition() {
        return canPartition;
    }

    /** Node i's address (Raft and HTTP). */
    public String address(int i) {
        return subnetPrefix + "." + (NODE_HOST_BASE + i);
    }

    /** The command prefix that runs a process inside node i's namespace (empty on loopback). */
    public List<String> execPrefix(int i) {
        return mode == Mode.NAMESPACES ? List.of("ip", "netns", "exec", namespace(i)) : List.of();
    }

    /** Drops every packet from each node of {@code from} to each node of {@code to}. */
    public synchronized void cut(Set<Integer> from, Set<Integer> to) {
        if (!canPartition) {
            throw new IllegalStateException("partitions unavailable: " + fallbackReason);
        }
        for (int a : from) {
            for (int b : to) {
                if (a == b) {
                    continue;
                }
                if (mode == Mode.NAMESPACES) {
                    Shell.run(List.of("ip", "netns", "exec", namespace(a), "iptables", "-A", "OUTPUT", "-d",
                            address(b), "-j", "DROP"));
                } else {
                    Shell.run(List.of("iptables", "-A", chain(), "-s", address(a), "-d", address(b), "-j", "DROP"));
                }
            }
        }
    }

    /** Removes every cut. */
    public synchronized void heal() {
        if (!canPartition) {
            return;
        }
        if (mode == Mode.NAMESPACES) {
            for (int i = 0; i < nodes; i++) {
                Shell.run(List.of("ip", "netns", "exec", namespace(i), "iptables", "-F", "OUTPUT"));
            }
        } else {
            Shell.run(List.of("iptables", "-F", chain()));
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // called from the hook itself
        }
        for (int i = created.size() - 1; i >= 0; i--) {
            String[] what = created.get(i).split(":", 2);
            switch (what[0]) {
                case "link" -> Shell.runQuietly(List.of("ip", "link", "del", what[1]));
                case "netns" -> Shell.runQuietly(List.of("ip", "netns", "del", what[1]));
                case "chain" -> {
                    Shell.runQuietly(List.of("iptables", "-D", "OUTPUT", "-j", what[1]));
                    Shell.runQuietly(List.of("iptables", "-F", what[1]));
                    Shell.runQuietly(List.of("iptables", "-X", what[1]));
                }
                default -> throw new AssertionError(what[0]);
            }
        }
    }
}
