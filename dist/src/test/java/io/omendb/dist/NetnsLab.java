package io.omendb.dist;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A private network on this machine, like the one docker-compose makes: a Linux bridge holding the subnet's
 * gateway address, and per host a network namespace joined to it by a veth pair, with the given private
 * address. Host names resolve inside every namespace through {@code /etc/netns/NS/hosts}, which
 * {@code ip netns exec} mounts over {@code /etc/hosts}. Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN) and iproute2.
 *
 * <p>Every name carries a random suffix so leftovers of a killed run never collide; {@link #close()} removes
 * the namespaces (their veth ends go with them), the bridge and the hosts files, and is safe after a
 * partial setup.
 */
final class NetnsLab implements AutoCloseable {
    private static final long IP_WAIT_S = 30;
    private static final Path NETNS_ETC = Path.of("/etc/netns");

    private final String suffix = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000));
    private final String bridge = "obr" + suffix;
    private final int prefixLength;
    private final Map<String, String> namespaceByHost = new LinkedHashMap<>();
    private final Map<String, String> addressByHost = new LinkedHashMap<>();
    private boolean bridgeCreated;

    /** A bridge holding {@code gateway/prefixLength}, so this (root-namespace) process reaches every host. */
    NetnsLab(String gateway, int prefixLength) throws IOException, InterruptedException {
        this.prefixLength = prefixLength;
        ip("link", "add", bridge, "type", "bridge");
        bridgeCreated = true;
        ip("addr", "add", gateway + "/" + prefixLength, "dev", bridge);
        ip("link", "set", bridge, "up");
    }

    /** A namespace for {@code host} with {@code address} on the bridge; hosts files are written by {@link #publishHosts}. */
    void addHost(String host, String address) throws IOException, InterruptedException {
        int index = namespaceByHost.size();
        String ns = "omendb-" + host + "-" + suffix;
        String hostEnd = "ov" + index + suffix;
        String nsEnd = "ovp" + index + suffix;
        ip("netns", "add", ns);
        namespaceByHost.put(host, ns);
        addressByHost.put(host, address);
        ip("link", "add", hostEnd, "type", "veth", "peer", "name", nsEnd);
        ip("link", "set", nsEnd, "netns", ns);
        ip("link", "set", hostEnd, "master", bridge);
        ip("link", "set", hostEnd, "up");
        ip("-n", ns, "addr", "add", address + "/" + prefixLength, "dev", nsEnd);
        ip("-n", ns, "link", "set", nsEnd, "up");
        ip("-n", ns, "link", "set", "lo", "up");
    }

    /** Writes every namespace's /etc/hosts: localhost plus all hosts of the lab. */
    void publishHosts() throws IOException {
        StringBuilder hosts = new StringBuilder("127.0.0.1 localhost\n");
        addressByHost.forEach((h, a) -> hosts.append(a).append(' ').append(h).append('\n'));
        for (String ns : namespaceByHost.values()) {
            Path dir = Files.createDirectories(NETNS_ETC.resolve(ns));
            Files.writeString(dir.resolve("hosts"), hosts);
        }
    }

    /** {@code command} prefixed to run inside {@code host}'s namespace. */
    List<String> inHost(String host, List<String> command) {
        List<String> out = new ArrayList<>(List.of("ip", "netns", "exec", namespace(host)));
        out.addAll(command);
        return out;
    }

    String address(String host) {
        String a = addressByHost.get(host);
        if (a == null) {
            throw new IllegalArgumentException("no host " + host + " in the lab");
        }
        return a;
    }

    private String namespace(String host) {
        address(host);
        return namespaceByHost.get(host);
    }

    @Override
    public void close() {
        List<String> failures = new ArrayList<>();
        for (String ns : namespaceByHost.values()) {
            quietly(failures, "netns", "del", ns);
            try {
                Files.deleteIfExists(NETNS_ETC.resolve(ns).resolve("hosts"));
                Files.deleteIfExists(NETNS_ETC.resolve(ns));
            } catch (IOException e) {
                failures.add(e.toString());
            }
        }
        if (bridgeCreated) {
            quietly(failures, "link", "del", bridge);
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException("cleanup of the network lab failed: " + failures);
        }
    }

    private static void quietly(List<String> failures, String... args) {
        try {
            ip(args);
        } catch (IOException | RuntimeException e) {
            failures.add(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failures.add("interrupted");
        }
    }

    private static void ip(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("ip"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(IP_WAIT_S, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + " failed: " + out.strip()
                    + " (network namespaces need root and iproute2; bin/test installs iproute2)");
        }
    }
}
