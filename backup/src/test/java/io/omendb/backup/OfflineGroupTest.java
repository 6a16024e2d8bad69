package io.omendb.backup;

import io.omendb.raft.command.Command;
import io.omendb.raft.command.CommandCodec;
import io.omendb.raft.wire.FrameWriter;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.MetadataProto;
import org.apache.ratis.proto.RaftProtos.StateMachineLogEntryProto;
import org.apache.ratis.server.raftlog.segmented.SegmentedRaftLogOutputStream;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.LongFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Where a stopped node's log says the committed entries end: the offline replay's bound. */
class OfflineGroupTest {
    @TempDir
    Path dir;

    @Test
    void commandEntriesRecordTheCommittedIndex() throws Exception {
        // entry i was accepted when entry i - 2 was committed; the last entries were never committed
        Path log = segment("stamped", 0, 9, i -> command(i, CommandCodec.stamp(put(i), 1000 + i, Math.max(0, i - 2))));
        assertEquals(7, OfflineGroup.highestRecordedCommit(log));
    }

    @Test
    void logsWrittenBeforeTheStampsUseRatisMetadataEntries() throws Exception {
        // Ratis' metadata entries (commit index i - 1 at every 4th entry) between time-only stamped commands
        Path log = segment("metadata", 0, 9, i -> i % 4 == 3
                ? LogEntryProto.newBuilder().setTerm(1).setIndex(i)
                        .setMetadataEntry(MetadataProto.newBuilder().setCommitIndex(i - 1)).build()
                : command(i, timeOnly(put(i), 1000 + i)));
        assertEquals(6, OfflineGroup.highestRecordedCommit(log));
    }

    @Test
    void aLogWithoutAnyRecordHasNone() throws Exception {
        assertEquals(-1, OfflineGroup.highestRecordedCommit(segment("bare", 0, 4, i -> command(i, put(i)))));
    }

    private Path segment(String name, long first, long last, LongFunction<LogEntryProto> entry) throws Exception {
        Path log = Files.createDirectories(dir.resolve(name));
        try (SegmentedRaftLogOutputStream out = new SegmentedRaftLogOutputStream(log.resolve("log_" + first + "-"
                + last).toFile(), false, Long.MAX_VALUE, 0, ByteBuffer.allocate(1 << 16))) {
            for (long i = first; i <= last; i++) {
                out.write(entry.apply(i));
            }
        }
        return log;
    }

    private static byte[] put(long i) {
        return CommandCodec.encode(new Command.Put(("k" + i).getBytes(StandardCharsets.UTF_8), new byte[10]));
    }

    /** The log form leaders wrote before committed indexes were recorded: kind 8, the time and the command. */
    private static byte[] timeOnly(byte[] frame, long millis) {
        return new FrameWriter(8).writeVarLong(millis).writeBytes(frame).finish();
    }

    private static LogEntryProto command(long i, byte[] logData) {
        return LogEntryProto.newBuilder().setTerm(1).setIndex(i).setStateMachineLogEntry(StateMachineLogEntryProto
                .newBuilder().setLogData(ByteString.copyFrom(logData))).build();
    }
}
