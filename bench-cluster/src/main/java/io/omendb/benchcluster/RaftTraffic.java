package io.omendb.benchcluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Raft traffic each node process has sent so far: the sum, over its established TCP sockets whose local or peer
 * port is one of the cluster's Raft ports, of the kernel's {@code bytes_sent} and {@code data_segs_out}
 * ({@code ss -tinpH}, the sockets' {@code tcp_info}). That is every Raft message the node sent (appendEntries with
 * or without entries, i.e. heartbeats; their replies; votes; read-index traffic) as gRPC frames, TCP payload bytes
 * and data segments; HTTP client traffic is on other ports and is not counted. A socket closed between two
 * readings drops out of the sum, so deltas are only meaningful while connections stay up (gRPC keeps one per peer).
 * Parsing is pure ({@link #parse}) and unit-tested.
 */
final class RaftTraffic {
    static final long SS_TIMEOUT_MS = 30_000;
    private static final Pattern SOCKET = Pattern.compile(
            "\\S+\\s+\\S+\\s+\\S*:(\\d+)\\s+\\S*:(\\d+)\\s+users:\\(\\(\"[^\"]*\",pid=(\\d+),");
    private static final Pattern BYTES_SENT = Pattern.compile("\\bbytes_sent:(\\d+)");
    private static final Pattern DATA_SEGS_OUT = Pattern.compile("\\bdata_segs_out:(\\d+)");

    /** What one process has sent on its Raft sockets. */
    record Sent(long bytes, long dataSegments) {
        static final Sent NONE = new Sent(0, 0);

        Sent plus(Sent other) {
            return new Sent(bytes + other.bytes, dataSegments + other.dataSegments);
        }
    }

    private RaftTraffic() {
    }

    static Map<Long, Sent> read(Set<Integer> raftPorts) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of("ss", "-tinpH", "state", "established")).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(SS_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new IOException("ss did not finish in " + SS_TIMEOUT_MS + " ms");
        }
        return parse(new String(out, StandardCharsets.UTF_8), raftPorts);
    }

    /** Per pid, over {@code ss -tinpH} output (a socket line, then its indented tcp_info line). */
    static Map<Long, Sent> parse(String ssOutput, Set<Integer> raftPorts) {
        Map<Long, Sent> out = new HashMap<>();
        Long pid = null;
        for (String line : ssOutput.split("\n")) {
            if (!line.isEmpty() && !Character.isWhitespace(line.charAt(0))) {
                Matcher m = SOCKET.matcher(line);
                pid = m.find() && (raftPorts.contains(Integer.parseInt(m.group(1)))
                        || raftPorts.contains(Integer.parseInt(m.group(2)))) ? Long.valueOf(m.group(3)) : null;
            } else if (pid != null) {
                Sent sent = new Sent(number(BYTES_SENT, line), number(DATA_SEGS_OUT, line));
                out.merge(pid, sent, Sent::plus);
                pid = null;
            }
        }
        return out;
    }

    private static long number(Pattern p, String line) {
        Matcher m = p.matcher(line);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }
}
