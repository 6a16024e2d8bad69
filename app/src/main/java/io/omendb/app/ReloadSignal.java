package io.omendb.app;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGHUP re-reads what this process can take without a restart: the router's users and roles files and its TLS
 * certificate and key (router/security's {@code SecurityReloader}; docs/SECURITY.md, "Reloading users and
 * certificates"). The handler only hands the work to the reloader's own thread, so it never blocks the JVM's
 * signal thread, and a reload never runs alongside the periodic file check.
 *
 * <p>{@code sun.misc.Signal} is the JDK's supported way to handle a POSIX signal: it is in the {@code jdk.unsupported}
 * module, which JDK 17 exports to every class path application (StopSignal uses it for SIGTERM/SIGINT). Once a
 * handler is installed, SIGHUP no longer terminates the JVM (its default action); it is installed when the process
 * has started, so a SIGHUP during start-up still stops it as before.
 *
 * <p><b>SIGHUP ignored.</b> A process started with SIGHUP ignored (under {@code nohup}, or by a supervisor that sets
 * it so) keeps ignoring it: the JVM does not install a handler over an ignored shutdown signal, and says so only by
 * returning {@code SIG_IGN} as the previous handler. Then the operator is told at start, on standard error, that
 * {@code kill -HUP} will not reload and that changed files are still picked up by the periodic check.
 */
final class ReloadSignal {
    private ReloadSignal() {
    }

    static void install(Runnable reload) {
        SignalHandler previous = Signal.handle(new Signal("HUP"), sig -> reload.run());
        if (previous == SignalHandler.SIG_IGN) {
            System.err.println("omendb: warning: SIGHUP is ignored in this process (started under nohup, or with "
                    + "SIGHUP ignored by its parent), so `kill -HUP` will not reload the users, roles and TLS files; "
                    + "changed files are still picked up every [security] reload_check_interval_s");
        }
    }
}
