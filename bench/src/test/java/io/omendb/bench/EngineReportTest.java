package io.omendb.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class EngineReportTest {
    private static final List<EngineReport.Row> ROWS = List.of(
            new EngineReport.Row("uniform", "get", "omendb", 500),
            new EngineReport.Row("uniform", "resident_bytes", "omendb", 3 << 20),
            new EngineReport.Row("uniform", "get", "rocksdb", 3000),
            new EngineReport.Row("uniform", "get", "rocksdb-tuned", 1500),
            new EngineReport.Row("uniform", "bytes_per_record", "rocksdb-tuned", 31.5));

    @Test
    void tableHasAColumnPerImplAndARowPerOp() {
        String md = EngineReport.markdown(ROWS, "bin/omendb-bench engine --keys 1000", "Machine: x\n\n");
        assertTrue(md.contains("Command: `bin/omendb-bench engine --keys 1000`\n\nMachine: x\n\n"), md);
        assertTrue(md.contains("| op | omendb | rocksdb | rocksdb-tuned |\n|---|---:|---:|---:|\n"), md);
        assertTrue(md.contains("| get | 500 | 3,000 | 1,500 |\n"), md);
        assertTrue(md.contains("| resident_bytes | 3.0 MiB |  |  |\n"), md);
        assertTrue(md.contains("| bytes_per_record |  |  | 31.50 B |\n"), md);
    }

    @Test
    void ratiosCompareOmenDbToBothRocksDbRowsForTimedOpsOnly() {
        assertEquals(List.of("get: 6.00× rocksdb", "get: 3.00× rocksdb-tuned"), EngineReport.ratioLines(ROWS));
    }
}
