package io.omendb.benchcluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The report's command states the run exactly: every option given or differing from its default, quoted so a POSIX
 * shell reads it back (the test has {@code sh} split it), and parsing the words back gives the same settings.
 */
class ReproducingCommandTest {

    @Test
    void reportCommandRoundTripsThroughTheShellToTheSameSettings() throws Exception {
        ClusterBenchMain run = parse("--workload", "write,mixed", "--clients", "8", "--seed", "7", "--ranges", "16",
                "--preload", "1000", "--rounds", "3", "--warmup-tolerance", "2.5",
                "--node-jvm-opts", "-Xms1g -Xmx1g -XX:+UseParallelGC", "--rheakv-jvm-opts", "-Xmx3g",
                "--omendb-performance", "leader_lease_enabled=true,group_commit_writes_max=1",
                "--report-dir", "/tmp/a report's dir");
        String command = run.command(Map.of());
        assertTrue(command.startsWith(ClusterBenchMain.PROGRAM + " "), command);
        for (String expected : List.of("--seed 7", "--ranges 16", "--preload 1000", "--rounds 3",
                "--node-jvm-opts '-Xms1g -Xmx1g -XX:+UseParallelGC'", "--rheakv-jvm-opts -Xmx3g",
                "--report-dir '/tmp/a report'\\''s dir'")) {
            assertTrue(command.contains(expected), () -> "'" + expected + "' missing from " + command);
        }
        List<String> words = shellWords(command.substring(ClusterBenchMain.PROGRAM.length()));
        assertEquals(settings(run), settings(parse(words.toArray(String[]::new))), command);
    }

    @Test
    void optionsLeftAtTheirDefaultsAreOmittedGivenOnesKeptChangedOnesStated() {
        assertEquals(ClusterBenchMain.PROGRAM, parse().command(Map.of()));
        assertEquals(ClusterBenchMain.PROGRAM + " --clients 64", parse("--clients", "64").command(Map.of()),
                "an option given at its default value is still stated");
        ClusterBenchMain located = parse("--targets", "etcd");
        located.etcdBinary = "/opt/etcd/bin/etcd";
        assertEquals(ClusterBenchMain.PROGRAM + " --targets etcd --etcd-binary /opt/etcd/bin/etcd",
                located.command(Map.of()), "a value the run resolved after parsing is what it ran with");
        assertEquals(ClusterBenchMain.ENV_JVM_OPTS + "='-Xms4g -Xmx4g' " + ClusterBenchMain.PROGRAM,
                parse().command(Map.of(ClusterBenchMain.ENV_JVM_OPTS, "-Xms4g -Xmx4g")));
    }

    private static ClusterBenchMain parse(String... args) {
        ClusterBenchMain main = new ClusterBenchMain();
        new CommandLine(main).parseArgs(args);
        return main;
    }

    /** Every option's value (help options aside), by name. */
    private static Map<String, String> settings(ClusterBenchMain main) {
        Map<String, String> values = new LinkedHashMap<>();
        for (OptionSpec option : main.spec.options()) {
            if (!option.usageHelp() && !option.versionHelp()) {
                Object v = option.getValue();
                values.put(option.longestName(), v instanceof Object[] a ? Arrays.toString(a) : String.valueOf(v));
            }
        }
        return values;
    }

    /** The words {@code sh} makes of {@code line}, so the quoting is checked by a real shell. */
    private static List<String> shellWords(String line) throws IOException, InterruptedException {
        Process split = new ProcessBuilder("sh", "-c", "for w in " + line + "; do printf '%s\\0' \"$w\"; done")
                .redirectErrorStream(true).start();
        split.getOutputStream().close();
        String out = new String(split.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(split.waitFor(10, TimeUnit.SECONDS) && split.exitValue() == 0, out);
        List<String> words = new ArrayList<>(Arrays.asList(out.split("\0", -1)));
        words.remove(words.size() - 1);
        return words;
    }
}
