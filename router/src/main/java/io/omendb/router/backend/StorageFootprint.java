package io.omendb.router.backend;

/** Bytes of Raft log (the WAL) and of learned-index models on this process's disks. */
public record StorageFootprint(long walSizeBytes, long indexSizeBytes) {
}
