package io.omendb.benchcluster;

import java.util.concurrent.ThreadFactory;

/** Thread factories of a benchmark's own pools: daemon threads, so a stuck request never keeps the JVM from exiting. */
final class DaemonThreads {
    private DaemonThreads() {
    }

    static ThreadFactory named(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
