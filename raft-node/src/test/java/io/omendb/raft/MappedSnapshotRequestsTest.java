package io.omendb.raft;

import org.apache.ratis.proto.RaftProtos.FileChunkProto;
import org.apache.ratis.proto.RaftProtos.InstallSnapshotRequestProto;
import org.apache.ratis.proto.RaftProtos.InstallSnapshotRequestProto.SnapshotChunkProto;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.statemachine.impl.FileListSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The re-pointed requests carry the same bytes, in the same requests, as the ones Ratis read into the heap, and
 * those bytes are no longer heap arrays (what kept a leader's whole snapshot reachable, docs/CHAOS.md bug 8).
 */
class MappedSnapshotRequestsTest {
    private static final int CHUNK_BYTES = 1000;

    @TempDir
    Path dir;

    @Test
    void chunksCarryTheFileBytesFromMappingsAndKeepEveryOtherField() throws IOException {
        Random random = new Random(7);
        byte[] big = new byte[2 * CHUNK_BYTES + 123];
        random.nextBytes(big);
        byte[] small = "descriptor".getBytes();
        Path bigFile = Files.write(dir.resolve("segment-1"), big);
        Path emptyFile = Files.write(dir.resolve("empty"), new byte[0]);
        Path smallFile = Files.write(dir.resolve("snapshot.json"), small);
        List<FileInfo> files = List.of(new FileInfo(bigFile, null), new FileInfo(emptyFile, null),
                new FileInfo(smallFile, null));
        List<InstallSnapshotRequestProto> ratis = ratisStyle(List.of(big, new byte[0], small));

        List<InstallSnapshotRequestProto> mapped = new ArrayList<>();
        new MappedSnapshotRequests(ratis, new FileListSnapshotInfo(files, TermIndex.valueOf(3, 99)))
                .forEach(mapped::add);

        assertEquals(ratis.size(), mapped.size());
        for (int i = 0; i < ratis.size(); i++) {
            FileChunkProto before = ratis.get(i).getSnapshotChunk().getFileChunks(0);
            FileChunkProto after = mapped.get(i).getSnapshotChunk().getFileChunks(0);
            assertArrayEquals(before.getData().toByteArray(), after.getData().toByteArray(), "request " + i);
            assertEquals(before.toBuilder().clearData().build(), after.toBuilder().clearData().build());
            assertEquals(ratis.get(i).getSnapshotChunk().getRequestIndex(),
                    mapped.get(i).getSnapshotChunk().getRequestIndex());
            if (!after.getData().isEmpty()) {
                assertTrue(after.getData().asReadOnlyByteBuffer().isDirect(), "request " + i + " is not mapped");
            }
        }
    }

    /** Requests shaped like Ratis' {@code InstallSnapshotRequests}: files in order, chunks of CHUNK_BYTES. */
    private static List<InstallSnapshotRequestProto> ratisStyle(List<byte[]> contents) {
        List<InstallSnapshotRequestProto> requests = new ArrayList<>();
        int requestIndex = 0;
        for (int f = 0; f < contents.size(); f++) {
            byte[] content = contents.get(f);
            int offset = 0;
            int chunkIndex = 0;
            do {
                int length = Math.min(CHUNK_BYTES, content.length - offset);
                boolean done = offset + length == content.length;
                FileChunkProto chunk = FileChunkProto.newBuilder().setFilename("sm/file-" + f).setTotalSize(
                        content.length).setChunkIndex(chunkIndex++).setOffset(offset).setDone(done)
                        .setData(ByteString.copyFrom(Arrays.copyOfRange(content, offset, offset + length))).build();
                requests.add(InstallSnapshotRequestProto.newBuilder().setSnapshotChunk(SnapshotChunkProto.newBuilder()
                        .setRequestId("r").setRequestIndex(requestIndex++).addFileChunks(chunk)
                        .setDone(done && f == contents.size() - 1)).build());
                offset += length;
            } while (offset < content.length);
        }
        return requests;
    }
}
