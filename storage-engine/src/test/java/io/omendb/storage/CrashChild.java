package io.omendb.storage;

import java.nio.file.Path;

/**
 * Child JVM for {@link CrashRecoveryTest}: writes key i = raft index - 1 forever with small memtables (so flushes
 * and compactions run all the time) and prints "DURABLE n" each time a flush returned, i.e. keys 0..n-1 are
 * on disk. The parent kills it with SIGKILL at a random moment.
 */
public final class CrashChild {
    private CrashChild() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int fanIn = Integer.parseInt(args[1]);
        // While compacting, every value is read back from segment files (inline max 0) as it is merged.
        EngineOptions opts = EngineOptions.defaults().withRetrainThreshold(2_000).withCompactionFanIn(fanIn)
                .withValueBytesInlineMax(fanIn == 2 ? 0 : EngineOptions.VALUE_BYTES_INLINE_MAX_DEFAULT);
        StorageEngine e = StorageEngine.open(dir, opts);
        System.out.println("OPEN " + e.durableIndex());
        System.out.flush();
        while (true) {
            long i = e.appliedIndex();
            e.put(CrashRecoveryTest.key(i), CrashRecoveryTest.value(i));
            if (i % 5_000 == 4_999) {
                e.flush();
                System.out.println("DURABLE " + e.durableIndex());
                System.out.flush();
            }
        }
    }
}
