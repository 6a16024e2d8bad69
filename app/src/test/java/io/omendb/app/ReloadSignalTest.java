package io.omendb.app;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ReloadSignal} in a process of its own (a signal disposition is per process): a SIGHUP the process sends itself
 * runs the reload; started with SIGHUP ignored ({@code nohup}), the handler cannot be installed and the process says
 * so on standard error instead of ignoring {@code kill -HUP} in silence.
 */
class ReloadSignalTest {
    private static final long WAIT_S = 60;

    /** Installs the handler, sends itself SIGHUP, prints whether the reload ran within 5 s. */
    public static final class Main {
        public static void main(String[] args) throws Exception {
            CountDownLatch reloaded = new CountDownLatch(1);
            ReloadSignal.install(reloaded::countDown);
            Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(ProcessHandle.current().pid())).start();
            kill.waitFor();
            System.out.println(reloaded.await(5, TimeUnit.SECONDS) ? "reload ran" : "no reload");
        }
    }

    private static String run(boolean nohup) throws Exception {
        // the test's own SIGHUP disposition is whatever launched the build: set it explicitly for the child
        List<String> cmd = new ArrayList<>(nohup ? List.of("nohup") : List.of("env", "--default-signal=HUP"));
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), Main.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertTrue(p.waitFor(WAIT_S, TimeUnit.SECONDS), "exited");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void aSighupRunsTheReload() throws Exception {
        String out = run(false);
        assertTrue(out.contains("reload ran"), out);
        assertFalse(out.contains("SIGHUP is ignored"), out);
    }

    @Test
    void underNohupTheProcessSaysThatSighupWillNotReload() throws Exception {
        String out = run(true);
        assertTrue(out.contains("omendb: warning: SIGHUP is ignored in this process"), out);
        assertTrue(out.contains("no reload"), "the JVM keeps an ignored signal ignored: " + out);
    }
}
