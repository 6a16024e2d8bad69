package io.omendb.router.http;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The records one logger (of the JDK platform logging the router's {@code System.Logger}s write to) publishes while
 * attached, for tests that check log lines. Thread-safe.
 */
final class LogCapture extends Handler {
    private final String loggerName;
    private final List<LogRecord> records = new ArrayList<>();

    private LogCapture(String loggerName) {
        this.loggerName = loggerName;
    }

    static LogCapture attach(String loggerName) {
        LogCapture capture = new LogCapture(loggerName);
        Logger.getLogger(loggerName).addHandler(capture);
        return capture;
    }

    void detach() {
        Logger.getLogger(loggerName).removeHandler(this);
    }

    List<LogRecord> records() {
        synchronized (records) {
            return List.copyOf(records);
        }
    }

    List<String> messages() {
        return records().stream().map(LogRecord::getMessage).toList();
    }

    @Override
    public void publish(LogRecord record) {
        synchronized (records) {
            records.add(record);
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
}
