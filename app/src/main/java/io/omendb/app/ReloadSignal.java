package io.omendb.app;

import sun.misc.Signal;

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
 */
final class ReloadSignal {
    private ReloadSignal() {
    }

    static void install(Runnable reload) {
        Signal.handle(new Signal("HUP"), sig -> reload.run());
    }
}
