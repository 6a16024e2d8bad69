package io.omendb.app;

import java.util.ArrayDeque;
import java.util.Deque;

/** Closes what was opened, in reverse order, reporting (not throwing) failures so every resource gets closed. */
final class Closer implements AutoCloseable {
    private final Deque<AutoCloseable> opened = new ArrayDeque<>();

    <T extends AutoCloseable> T register(T resource) {
        opened.push(resource);
        return resource;
    }

    @Override
    public void close() {
        while (!opened.isEmpty()) {
            AutoCloseable c = opened.pop();
            try {
                c.close();
            } catch (Exception e) {
                System.err.println("omendb: error while stopping " + c.getClass().getSimpleName() + ": " + e);
            }
        }
    }
}
