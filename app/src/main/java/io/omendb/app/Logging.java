package io.omendb.app;

/** slf4j-simple reads its settings once, at first use: {@link #configure} must run before anything logs. */
final class Logging {
    private Logging() {
    }

    static void configure(String level) {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", level);
        System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
        if (level.equals("info")) {
            // Ratis logs every election and segment roll at info; operators want OmenDB's own lines
            System.setProperty("org.slf4j.simpleLogger.log.org.apache.ratis", "warn");
            // the Ratis client logs every retried request (NotLeader during elections) at ERROR; our futures
            // report the requests that finally fail, so these lines are noise
            System.setProperty("org.slf4j.simpleLogger.log.org.apache.ratis.client.impl.OrderedAsync", "off");
        }
    }
}
