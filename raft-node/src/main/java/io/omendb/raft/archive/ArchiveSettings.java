package io.omendb.raft.archive;

import java.nio.file.Path;

/**
 * How a node archives its range replicas' logs ({@code [backup]} in omendb.toml).
 *
 * @param root             the archive directory ({@code backup.log_archive_dir}, absolute)
 * @param writeBufferBytes buffer for writing archive files: at least the largest log entry plus its 8 bytes of
 *                         framing, i.e. {@code performance.raft_write_buffer_kb}, the buffer Ratis itself writes with
 */
public record ArchiveSettings(Path root, int writeBufferBytes) {
}
