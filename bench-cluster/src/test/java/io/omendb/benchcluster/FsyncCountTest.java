package io.omendb.benchcluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class FsyncCountTest {
    @Test
    void fsyncAndFdatasyncCallsAreSummedFromTheSummaryTable() {
        String out = "strace: Process 42 attached with 90 threads\nstrace: Process 42 detached\n"
                + "% time     seconds  usecs/call     calls    errors syscall\n"
                + "------ ----------- ----------- --------- --------- ----------------\n"
                + " 80.00    0.004000          28       140           fdatasync\n"
                + " 20.00    0.001000          50        20         2 fsync\n"
                + "------ ----------- ----------- --------- --------- ----------------\n"
                + "100.00    0.005000          31       160         2 total\n";
        assertEquals(OptionalLong.of(160), FsyncCount.parse(out));
    }

    @Test
    void attachedWithoutATableIsZeroAndNeverAttachedIsUnknown() {
        assertEquals(OptionalLong.of(0), FsyncCount.parse("strace: Process 42 attached\nstrace: Process 42 detached\n"));
        assertEquals(OptionalLong.empty(),
                FsyncCount.parse("strace: attach: ptrace(PTRACE_SEIZE, 42): Operation not permitted\n"));
        assertEquals(OptionalLong.empty(), FsyncCount.parse("timeout: failed to run command 'strace'\n"));
    }
}
