package io.omendb.benchcluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

class JvmProbeTest {
    @Test
    void heapUsedAndCommittedComeFromG1sHeapLine() {
        String info = "4242:\n garbage-first heap   total 262144K, used 15302K [0x0000000740000000, 0x0000000800000000)\n"
                + "  region size 1024K, 3 young (3072K), 1 survivors (1024K)\n Metaspace       used 60000K\n";
        JvmProbe.Heap heap = JvmProbe.heap(info);
        assertEquals(15302L * 1024, heap.usedBytes());
        assertEquals(262144L * 1024, heap.committedBytes());
        assertThrows(IllegalArgumentException.class, () -> JvmProbe.heap("4242:\nAttach failed"));
    }

    @Test
    void nativeMemoryCategoriesGiveTheirCommittedBytes() {
        String nmt = "Total: reserved=4500000KB, committed=400000KB\n"
                + "-                 Java Heap (reserved=3145728KB, committed=262144KB)\n"
                + "                            (mmap: reserved=3145728KB, committed=262144KB)\n"
                + "-                    Thread (reserved=104000KB, committed=10240KB)\n"
                + "                            (thread #102)\n"
                + "-                     Other (reserved=21400KB, committed=21400KB)\n";
        Map<String, Long> committed = JvmProbe.nativeCommittedBytes(nmt);
        assertEquals(262144L * 1024, committed.get("Java Heap"));
        assertEquals(10240L * 1024, committed.get("Thread"));
        assertEquals(21400L * 1024, committed.get("Other"));
        assertEquals(3, committed.size());
    }

    @Test
    void threadsAreCountedByNameWithGroupIdsAndNumbersFolded() {
        String dump = "2026-12-07 00:52:00\nFull thread dump OpenJDK 64-Bit Server VM:\n\n"
                + "\"n1@group-0A1B2C3D4E5F-StateMachineUpdater\" #40 daemon prio=5 os_prio=0 tid=0x1 nid=0x2 waiting\n"
                + "   java.lang.Thread.State: WAITING (parking)\n\n"
                + "\"n1@group-AABBCCDDEEFF-StateMachineUpdater\" #41 daemon prio=5 os_prio=0 tid=0x1 nid=0x3 waiting\n\n"
                + "\"timer3\" #12 daemon prio=5\n\"timer17\" #13 daemon prio=5\n"
                + "\"VM Thread\" os_prio=0 cpu=1.00ms tid=0x5 nid=0x6 runnable\n";
        assertEquals(Map.of("nN@group-*-StateMachineUpdater", 2, "timerN", 2), JvmProbe.threadsByPrefix(dump));
    }
}
