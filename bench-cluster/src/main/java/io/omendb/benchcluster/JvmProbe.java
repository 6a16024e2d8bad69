package io.omendb.benchcluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code jcmd} tells about a running node JVM: heap used and committed ({@code GC.heap_info}, G1's
 * "garbage-first heap total ..K, used ..K" line), native memory by category ({@code VM.native_memory summary},
 * which needs the node started with {@code -XX:NativeMemoryTracking=summary}; direct buffers and Netty's unsafe
 * allocations are in its "Other" category) and the threads by name ({@code Thread.print}). Parsing is pure and
 * unit-tested; each call of {@link #jcmd} waits at most {@value #JCMD_TIMEOUT_MS} ms.
 *
 * <p>Thread names are grouped by {@link #threadPrefix}: a Ratis group id ({@code group-} + 12 hex digits) becomes
 * {@code group-*} and every run of digits becomes {@code N}, so "n1@group-0A1B2C3D4E5F-StateMachineUpdater" on every
 * range falls in one bucket whose size is the number of ranges the node holds.
 */
final class JvmProbe {
    static final long JCMD_TIMEOUT_MS = 120_000;
    private static final Pattern HEAP = Pattern.compile("heap\\s+total (\\d+)K, used (\\d+)K");
    private static final Pattern NMT = Pattern.compile("-\\s+([A-Za-z][A-Za-z ]*?) \\(reserved=(\\d+)KB, committed=(\\d+)KB\\)");
    private static final Pattern THREAD = Pattern.compile("^\"(.*)\" #");
    private static final Pattern GROUP_ID = Pattern.compile("group-[0-9A-Fa-f]{12}");

    /** Heap in bytes. */
    record Heap(long usedBytes, long committedBytes) {
    }

    private JvmProbe() {
    }

    static String jcmd(long pid, String... command) throws IOException, InterruptedException {
        List<String> args = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(pid)));
        args.addAll(List.of(command));
        Process p = new ProcessBuilder(args).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(JCMD_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new IOException("jcmd " + String.join(" ", command) + " did not finish in " + JCMD_TIMEOUT_MS + " ms");
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    static Heap heap(String heapInfo) {
        Matcher m = HEAP.matcher(heapInfo);
        if (!m.find()) {
            throw new IllegalArgumentException("no 'heap total ..K, used ..K' in GC.heap_info: " + heapInfo);
        }
        return new Heap(Long.parseLong(m.group(2)) * 1024, Long.parseLong(m.group(1)) * 1024);
    }

    /** Committed bytes per NMT category ("Java Heap", "Thread", "Other", ...), in the order printed. */
    static Map<String, Long> nativeCommittedBytes(String nmtSummary) {
        Map<String, Long> out = new LinkedHashMap<>();
        Matcher m = NMT.matcher(nmtSummary);
        while (m.find()) {
            out.put(m.group(1).trim(), Long.parseLong(m.group(3)) * 1024);
        }
        return out;
    }

    /** Thread count per {@link #threadPrefix}, sorted by name. */
    static Map<String, Integer> threadsByPrefix(String threadDump) {
        Map<String, Integer> out = new TreeMap<>();
        for (String line : threadDump.split("\n")) {
            Matcher m = THREAD.matcher(line);
            if (m.find()) {
                out.merge(threadPrefix(m.group(1)), 1, Integer::sum);
            }
        }
        return out;
    }

    static String threadPrefix(String threadName) {
        return GROUP_ID.matcher(threadName).replaceAll("group-*").replaceAll("\\d+", "N");
    }
}
