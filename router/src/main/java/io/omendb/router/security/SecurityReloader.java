package io.omendb.router.security;

import io.omendb.raft.security.FileFingerprint;
import io.omendb.raft.security.RaftTls;
import io.omendb.raft.security.TlsFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Re-reads a node's or router's security files while it runs: the users and roles files, and the TLS certificate,
 * key and CA that the API, the metrics port and Raft's mutual TLS share ({@link RaftTls}) (docs/SECURITY.md,
 * "Reloading users and certificates").
 *
 * <p><b>Triggers.</b> {@link #reloadAll} re-reads every source whatever its files hold (SIGHUP; the signal is wired
 * in the app module). {@link #checkForChanges} re-reads only the sources whose files changed since they were last
 * read: a change is a different SHA-256 over the files' contents (or over "unreadable"), so a {@code touch} does
 * not reload, a rewrite within the same second as the last one does, and so does a Kubernetes secret update, which
 * swaps a symlink rather than writing the file (a polled content hash sees all three; an inotify watch on the
 * directory sees neither the symlink swap behind a mounted volume nor changes on network file systems). The
 * process runs {@code checkForChanges} every {@code [security] reload_check_interval_s}, on one daemon thread that
 * also runs the SIGHUP reloads, so reloads never run concurrently.
 *
 * <p><b>Atomicity.</b> A source's reload action reads and checks everything first and installs in one step; if it
 * throws {@link SecurityFileException} nothing was installed. Each outcome is one log line on
 * {@value #LOGGER}: INFO for a new version in force, ERROR naming the file and the reason for a refused one ("the
 * previous ... stay in force"). A refused version is remembered by its hash, so a periodic check reports it once,
 * not every interval; the next change is tried again.
 *
 * <p>Thread-safe: the check and reload methods are synchronized; {@link #requestReloadAll} never blocks.
 */
public final class SecurityReloader implements AutoCloseable {
    public static final String LOGGER = "io.omendb.security";
    private static final System.Logger LOG = System.getLogger(LOGGER);

    /** What one reload attempt did. */
    public record Outcome(String source, boolean applied, String message) {
    }

    /**
     * One set of files read together.
     *
     * @param what   what the files hold, naming them, e.g. "users (users_file /etc/omendb/users.htpasswd, ...)"
     * @param reload reads, checks and installs the files; returns what is now in force; throws
     *               {@link SecurityFileException} or {@link TlsFileException} (nothing installed) when they are
     *               refused
     */
    record Source(String what, List<Path> files, Supplier<String> reload) {
    }

    /** The TLS files of {@code tls} as one source: certificate, key and CA are read and installed together. */
    static Source tlsSource(RaftTls tls) {
        List<Path> files = tls.files();
        return new Source("TLS certificate (tls_cert_file " + files.get(0) + ", tls_key_file " + files.get(1)
                + ", tls_ca_file " + files.get(2) + ")", files, tls::reload);
    }

    /** A reloader of {@code tls} alone, checking every {@code intervalS} (a node without a router). */
    public static SecurityReloader forTls(RaftTls tls, long intervalS) {
        return new SecurityReloader(List.of(tlsSource(tls)), List.of(tls.fingerprintAtLoad())).start(intervalS);
    }

    private final List<Source> sources;
    private final byte[][] lastSeen;
    private volatile ScheduledExecutorService threadOrNull;

    /**
     * @param sources      the reloadable file sets
     * @param seenAtLoad   each source's {@link FileFingerprint}, taken before the files were first loaded (so a change
     *                     made while they were being loaded is seen by the first check)
     */
    SecurityReloader(List<Source> sources, List<byte[]> seenAtLoad) {
        this.sources = List.copyOf(sources);
        this.lastSeen = seenAtLoad.toArray(byte[][]::new);
    }

    /** Reloads every source (SIGHUP). */
    public synchronized List<Outcome> reloadAll(String trigger) {
        List<Outcome> out = new ArrayList<>();
        for (int i = 0; i < sources.size(); i++) {
            out.add(reload(i, trigger));
        }
        if (sources.isEmpty()) {
            LOG.log(System.Logger.Level.INFO, "security reload (" + trigger + "): nothing to reload "
                    + "(authentication and TLS are off)");
        }
        return out;
    }

    /** Reloads the sources whose files changed since they were last read; empty when none did. */
    public synchronized List<Outcome> checkForChanges() {
        List<Outcome> out = new ArrayList<>();
        for (int i = 0; i < sources.size(); i++) {
            if (!Arrays.equals(lastSeen[i], FileFingerprint.of(sources.get(i).files()))) {
                out.add(reload(i, "file change"));
            }
        }
        return out;
    }

    /** Runs {@link #reloadAll} on the reload thread (a signal handler must not block); null if closed. */
    public Future<List<Outcome>> requestReloadAll(String trigger) {
        ScheduledExecutorService thread = threadOrNull;
        try {
            return thread == null ? null : thread.submit(() -> reloadAll(trigger));
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            return null;
        }
    }

    /** Starts the reload thread, running {@link #checkForChanges} every {@code intervalS} seconds (0: never). */
    synchronized SecurityReloader start(long intervalS) {
        threadOrNull = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "omendb-security-reload");
            t.setDaemon(true);
            return t;
        });
        if (intervalS > 0) {
            threadOrNull.scheduleWithFixedDelay(this::checkForChanges, intervalS, intervalS, TimeUnit.SECONDS);
        }
        return this;
    }

    private Outcome reload(int i, String trigger) {
        Source s = sources.get(i);
        lastSeen[i] = FileFingerprint.of(s.files());
        try {
            String now = s.reload().get();
            LOG.log(System.Logger.Level.INFO, "security reload (" + trigger + "): " + s.what() + " reloaded: " + now);
            return new Outcome(s.what(), true, now);
        } catch (SecurityFileException | TlsFileException e) {
            LOG.log(System.Logger.Level.ERROR, "security reload (" + trigger + "): refused " + s.what() + ": "
                    + e.getMessage() + "; the previous version stays in force");
            return new Outcome(s.what(), false, e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "security reload (" + trigger + "): refused " + s.what() + ": " + e
                    + "; the previous version stays in force", e);
            return new Outcome(s.what(), false, e.toString());
        }
    }

    @Override
    public synchronized void close() {
        if (threadOrNull != null) {
            threadOrNull.shutdownNow();
            threadOrNull = null;
        }
    }
}
