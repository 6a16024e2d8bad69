package io.omendb.storage;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@link StorageEngine#checkpoint(Path)} produced: a directory that {@link StorageEngine#open} can open,
 * holding every record up to {@code appliedIndex}.
 *
 * @param dir          the checkpoint directory
 * @param appliedIndex highest Raft index whose effects the checkpoint contains
 * @param files        file names inside {@code dir} (segments and the manifest)
 */
public record CheckpointInfo(Path dir, long appliedIndex, List<String> files) {
}
