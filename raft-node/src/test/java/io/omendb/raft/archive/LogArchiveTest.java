package io.omendb.raft.archive;

import io.omendb.raft.command.Command;
import io.omendb.raft.command.CommandCodec;
import io.omendb.raft.storage.GroupDir;
import io.omendb.raft.storage.NodeDataLayout;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.MetadataProto;
import org.apache.ratis.proto.RaftProtos.StateMachineLogEntryProto;
import org.apache.ratis.server.raftlog.segmented.SegmentedRaftLogOutputStream;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The log archiver and the archive reader against real Ratis segment files (written with Ratis' own writer, as a
 * node's log is): only committed entries are archived, passes are idempotent and restart-safe, the reader merges
 * the copies of several nodes, and damage and gaps are caught.
 */
class LogArchiveTest {
    private static final UUID GROUP = UUID.fromString("00000000-0000-0000-0000-0000000000aa");
    private static final int BUFFER = 1 << 20;

    @TempDir
    Path tmp;

    /** Entry i: term 1, a put of key "k<i>" stamped at 1000 + i ms; every 10th a Ratis metadata entry. */
    private static LogEntryProto entry(long i) {
        LogEntryProto.Builder b = LogEntryProto.newBuilder().setTerm(1).setIndex(i);
        if (i % 10 == 9) {
            return b.setMetadataEntry(MetadataProto.newBuilder().setCommitIndex(i - 1)).build();
        }
        byte[] cmd = CommandCodec.encode(new Command.Put(("k" + i).getBytes(StandardCharsets.UTF_8), new byte[100]));
        return b.setStateMachineLogEntry(StateMachineLogEntryProto.newBuilder()
                .setLogData(ByteString.copyFrom(CommandCodec.stamp(cmd, 1000 + i, Math.max(0, i - 1))))).build();
    }

    /** A node's log dir: closed segments [0,39] and [40,79], and an open one from 80 to {@code openEnd}. */
    private Path nodeLog(String name, long openEnd) throws IOException {
        Path dir = Files.createDirectories(GroupDir.of(tmp.resolve(name)).logDir());
        writeSegment(dir.resolve("log_0-39"), 0, 39, 0);
        writeSegment(dir.resolve("log_40-79"), 40, 79, 0);
        writeSegment(dir.resolve("log_inprogress_80"), 80, openEnd, 64 * 1024); // preallocated zeros after the end
        return dir;
    }

    private static void writeSegment(Path file, long from, long to, long preallocate) throws IOException {
        try (SegmentedRaftLogOutputStream out = new SegmentedRaftLogOutputStream(file.toFile(), false,
                Long.MAX_VALUE, preallocate, ByteBuffer.allocate(BUFFER))) {
            for (long i = from; i <= to; i++) {
                out.write(entry(i));
            }
        }
    }

    private Path archive() {
        return tmp.resolve("archive");
    }

    private GroupLogArchiver archiver(Path log, String node) throws IOException {
        return new GroupLogArchiver(log, NodeDataLayout.archiveNodeDir(archive(), GROUP, node), BUFFER, () -> 42);
    }

    private List<Long> readAll(long from) throws IOException {
        List<Long> out = new ArrayList<>();
        new LogArchiveReader(archive(), GROUP, w -> { }).read(from, e -> {
            assertEquals(entry(e.getIndex()), e, "entry " + e.getIndex() + " comes back unchanged");
            out.add(e.getIndex());
            return true;
        });
        return out;
    }

    @Test
    void archivesOnlyCommittedEntriesIdempotentlyAndSurvivesARestart() throws Exception {
        Path log = nodeLog("n1", 99);
        GroupLogArchiver a = archiver(log, "n1");
        assertEquals(-1, a.archivedIndex());
        assertEquals(55, a.archiveThrough(55), "committed up to 55: nothing beyond it");
        assertEquals(range(0, 55), readAll(0));
        long bytes = a.archivedBytes();
        assertEquals(55, a.archiveThrough(55), "a second pass writes nothing");
        assertEquals(bytes, a.archivedBytes());
        assertEquals(42, a.lastPassMillis());

        GroupLogArchiver restarted = archiver(log, "n1");
        assertEquals(55, restarted.archivedIndex(), "recovered from the archive's sidecars");
        assertEquals(90, restarted.archiveThrough(90), "continues inside the open segment");
        assertEquals(99, restarted.archiveThrough(500), "committed beyond what the log holds: up to its end");
        assertEquals(range(0, 99), readAll(0));
        assertEquals(range(37, 99), readAll(37));
        assertEquals(0, restarted.gaps() + restarted.failures());
    }

    @Test
    void anUnfinishedFileIsRewrittenAndTheReaderMergesNodesAroundDamage() throws Exception {
        GroupLogArchiver n1 = archiver(nodeLog("n1", 99), "n1");
        n1.archiveThrough(99);
        Path n1Dir = NodeDataLayout.archiveNodeDir(archive(), GROUP, "n1");
        // a crash between writing a data file and its sidecar: the file does not count and is removed
        Path orphan = n1Dir.resolve("log_100-120");
        Files.write(orphan, new byte[] {1, 2, 3});
        Files.write(n1Dir.resolve("log_121.tmp"), new byte[] {4});
        assertEquals(99, archiver(nodeLog("n1b", 99), "n1").archivedIndex());
        assertTrue(Files.notExists(orphan));

        // n2 archived the same entries at other moments: [0,70] and [71,99]
        GroupLogArchiver n2 = archiver(nodeLog("n2", 99), "n2");
        n2.archiveThrough(70);
        n2.archiveThrough(99);
        Path damaged = n1Dir.resolve("log_40-79");
        byte[] bytes = Files.readAllBytes(damaged);
        bytes[bytes.length / 2] ^= 0x10;
        Files.write(damaged, bytes);
        List<String> warnings = new ArrayList<>();
        List<Long> got = new ArrayList<>();
        new LogArchiveReader(archive(), GROUP, warnings::add).read(0, e -> got.add(e.getIndex()));
        assertEquals(range(0, 99), got, "n2's copy stands in for the damaged file");
        assertTrue(warnings.toString().contains("log_40-79"), warnings.toString());

        // with every copy of entry 45 damaged, reading stops with an error naming it
        for (ArchiveFiles.Archived f : ArchiveFiles.list(NodeDataLayout.archiveNodeDir(archive(), GROUP, "n2"))) {
            if (f.firstIndex() <= 45 && f.lastIndex() >= 45) {
                byte[] b = Files.readAllBytes(f.path());
                b[b.length - 3] ^= 0x01;
                Files.write(f.path(), b);
            }
        }
        IOException e = assertThrows(IOException.class, () -> readAll(0));
        assertTrue(e.getMessage().contains("no intact archived copy of entry 40"), e.getMessage());
    }

    @Test
    void aMissingIndexRangeIsAGapAndTheEndOfTheArchiveIsNot() throws Exception {
        archiver(nodeLog("n1", 99), "n1").archiveThrough(99);
        Files.delete(NodeDataLayout.archiveNodeDir(archive(), GROUP, "n1").resolve("log_40-79"));
        LogArchiveReader.GapException gap = assertThrows(LogArchiveReader.GapException.class, () -> readAll(0));
        assertTrue(gap.getMessage().contains("no entries 40..79"), gap.getMessage());
        assertEquals(range(80, 99), readAll(80));
        assertEquals(List.of(), readAll(100), "nothing archived beyond 99: the reader just ends");
    }

    @Test
    void aReplicaWhoseLogNoLongerHoldsTheNextEntryCountsAGap() throws Exception {
        Path log = nodeLog("n1", 99);
        GroupLogArchiver a = archiver(log, "n1");
        a.archiveThrough(20);
        Files.delete(log.resolve("log_0-39")); // purged (e.g. replaced by an installed snapshot) before archiving
        assertEquals(99, a.archiveThrough(99));
        assertEquals(1, a.gaps());
        LogArchiveReader.GapException gap = assertThrows(LogArchiveReader.GapException.class, () -> readAll(0));
        assertTrue(gap.getMessage().contains("no entries 21..39"), gap.getMessage());
    }

    @Test
    void decodesTimeAndCommand() throws Exception {
        RaftLogFiles.LoggedEntry e = RaftLogFiles.decode(entry(5));
        assertEquals(1005, e.logged().timestampMillis());
        assertEquals("k5", new String(((Command.Put) e.logged().command()).key(), StandardCharsets.UTF_8));
        assertEquals(null, RaftLogFiles.decode(entry(9)).logged(), "a metadata entry has no command");
        LogEntryProto garbage = entry(3).toBuilder().setStateMachineLogEntry(StateMachineLogEntryProto.newBuilder()
                .setLogData(ByteString.copyFromUtf8("not a frame"))).build();
        assertThrows(IOException.class, () -> RaftLogFiles.decode(garbage));
    }

    private static List<Long> range(long from, long to) {
        List<Long> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(i);
        }
        return out;
    }
}
