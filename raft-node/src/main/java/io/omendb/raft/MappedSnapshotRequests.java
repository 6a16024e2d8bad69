package io.omendb.raft;

import org.apache.ratis.proto.RaftProtos.FileChunkProto;
import org.apache.ratis.proto.RaftProtos.InstallSnapshotRequestProto;
import org.apache.ratis.proto.RaftProtos.InstallSnapshotRequestProto.SnapshotChunkProto;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.List;

/**
 * The install-snapshot requests Ratis builds for a follower, with each chunk's bytes re-pointed from the heap array
 * Ratis read them into to a read-only memory mapping of the same region of the same snapshot file.
 *
 * <p>Why: Ratis 3.3.0's leader keeps every install-snapshot request it sent reachable for the stream timeout
 * ({@code install_snapshot.request.timeout} x {@code request.element-limit}, 24 s by default) through the timeout
 * check of {@code StreamObserverWithTimeout}, whether or not the follower already acknowledged it. A leader streaming
 * a 256 MiB range at loopback speed therefore held most of it in heap: 331 chunks of 1 MiB in a 384 MiB node, which
 * died of OutOfMemoryError (docs/CHAOS.md bug 8). A mapped chunk costs the heap a few hundred bytes; its pages are the
 * file's page cache, which the kernel may drop and re-read.
 *
 * <p>Guarantees: the requests, their order and every field other than the bytes' backing store are Ratis' own, so
 * the protocol, the per-file MD5 digest Ratis computed while reading and the follower's checks are unchanged. The
 * bytes are those of the file Ratis just read: snapshot files are immutable and kept for minutes after being
 * superseded ({@code SnapshotStore}), and a mapping outlives a deletion of its file; a file that changed anyway fails
 * the follower's digest check and the install starts over.
 */
final class MappedSnapshotRequests implements Iterable<InstallSnapshotRequestProto> {
    private final Iterable<InstallSnapshotRequestProto> ratisRequests;
    private final List<FileInfo> files;

    MappedSnapshotRequests(Iterable<InstallSnapshotRequestProto> ratisRequests, SnapshotInfo snapshot) {
        this.ratisRequests = ratisRequests;
        this.files = snapshot.getFiles();
    }

    @Override
    public Iterator<InstallSnapshotRequestProto> iterator() {
        Iterator<InstallSnapshotRequestProto> requests = ratisRequests.iterator();
        return new Iterator<>() {
            /** Ratis sends the snapshot's files in list order, each as chunks ending with one marked done. */
            private int fileIndex;

            @Override
            public boolean hasNext() {
                return requests.hasNext();
            }

            @Override
            public InstallSnapshotRequestProto next() {
                InstallSnapshotRequestProto request = requests.next();
                if (!request.hasSnapshotChunk()) {
                    return request;
                }
                SnapshotChunkProto.Builder chunks = request.getSnapshotChunk().toBuilder();
                for (int i = 0; i < chunks.getFileChunksCount(); i++) {
                    FileChunkProto chunk = chunks.getFileChunks(i);
                    chunks.setFileChunks(i, mapped(chunk, files.get(fileIndex).getPath()));
                    if (chunk.getDone()) {
                        fileIndex++;
                    }
                }
                return request.toBuilder().setSnapshotChunk(chunks).build();
            }
        };
    }

    private static FileChunkProto mapped(FileChunkProto chunk, Path file) {
        int length = chunk.getData().size();
        if (length == 0) {
            return chunk;
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return chunk.toBuilder().setData(UnsafeByteOperations.unsafeWrap(
                    channel.map(FileChannel.MapMode.READ_ONLY, chunk.getOffset(), length))).build();
        } catch (IOException e) {
            throw new UncheckedIOException("mapping " + file + " at " + chunk.getOffset() + " for a snapshot chunk", e);
        }
    }
}
