package io.omendb.backup;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The table of contents of one backup, stored as {@code <backup dir>/<backup id>/MANIFEST}: a header line
 * {@code omendb-backup-manifest 1 sha256=<hex of the body>} then the JSON body. Written atomically (temp file,
 * fsync, rename, fsync dir) as the last step of a backup, so a directory without a verifying manifest is an
 * unfinished backup and is never listed, chained onto or restored.
 *
 * <p>Per range: its id, key bounds (hex; null end = unbounded), Raft group, the term and log index of the
 * checkpoint entry (every write the range acknowledged before the backup started has a lower index), the engine's
 * index inside it, the SHA-256 digest and live-key count of its contents (measured by opening the copied engine), and
 * every file with size, SHA-256 and the backup it is stored in ({@code storedIn}: this backup, or an ancestor for
 * an incremental backup that did not need to copy it). Immutable.
 */
public record BackupManifest(int formatVersion, String backupId, String database, Kind kind, String parentId,
                             long createdAtMillis, List<RangeEntry> ranges) {
    public static final String FILE_NAME = "MANIFEST";
    static final int FORMAT_VERSION = 1;
    private static final String HEADER_PREFIX = "omendb-backup-manifest " + FORMAT_VERSION + " sha256=";
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

    public enum Kind { FULL, INCREMENTAL }

    public record FileEntry(String name, long sizeBytes, String sha256, String storedIn) {
        public FileEntry {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(sha256, "sha256");
            Objects.requireNonNull(storedIn, "storedIn");
        }
    }

    public record RangeEntry(long rangeId, String startHex, String endHex, String groupId, long term, long index,
                             long engineIndex, String digest, long liveKeys, List<FileEntry> files) {
        public RangeEntry {
            files = List.copyOf(files);
        }

        public long sizeBytes() {
            return files.stream().mapToLong(FileEntry::sizeBytes).sum();
        }
    }

    public BackupManifest {
        Objects.requireNonNull(backupId, "backupId");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(kind, "kind");
        ranges = List.copyOf(ranges);
        if ((kind == Kind.INCREMENTAL) != (parentId != null)) {
            throw new IllegalArgumentException("an incremental backup has a parent and a full one has none");
        }
    }

    /** Bytes of every file the backup consists of (its own and inherited ones). */
    public long totalBytes() {
        return ranges.stream().mapToLong(RangeEntry::sizeBytes).sum();
    }

    /** Bytes of the files stored in this backup's own directory. */
    public long ownBytes() {
        long n = 0;
        for (RangeEntry r : ranges) {
            for (FileEntry f : r.files()) {
                n += f.storedIn().equals(backupId) ? f.sizeBytes() : 0;
            }
        }
        return n;
    }

    /** Ids of the backups this one takes files from (its ancestors that still matter), itself excluded. */
    public List<String> referencedBackups() {
        List<String> out = new ArrayList<>();
        for (RangeEntry r : ranges) {
            for (FileEntry f : r.files()) {
                if (!f.storedIn().equals(backupId) && !out.contains(f.storedIn())) {
                    out.add(f.storedIn());
                }
            }
        }
        return out;
    }

    byte[] encode() throws IOException {
        byte[] body = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(this);
        byte[] header = (HEADER_PREFIX + Checksums.sha256Hex(body) + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[header.length + body.length];
        System.arraycopy(header, 0, out, 0, header.length);
        System.arraycopy(body, 0, out, header.length, body.length);
        return out;
    }

    /** Parses and checks a manifest file's bytes; {@code where} names it in errors. */
    static BackupManifest decode(byte[] bytes, Path where) throws BackupException {
        int nl = -1;
        for (int i = 0; i < Math.min(bytes.length, 256); i++) {
            if (bytes[i] == '\n') {
                nl = i;
                break;
            }
        }
        String header = nl < 0 ? "" : new String(bytes, 0, nl, StandardCharsets.UTF_8);
        if (!header.startsWith(HEADER_PREFIX)) {
            throw BackupException.failed("backup manifest " + where + " has no valid header (not a backup, a newer "
                    + "format, or damaged)");
        }
        byte[] body = java.util.Arrays.copyOfRange(bytes, nl + 1, bytes.length);
        if (!Checksums.sha256Hex(body).equals(header.substring(HEADER_PREFIX.length()))) {
            throw BackupException.failed("backup manifest " + where + " fails its checksum: it is damaged; do not "
                    + "restore from it");
        }
        try {
            BackupManifest m = JSON.readValue(body, BackupManifest.class);
            if (m.formatVersion() != FORMAT_VERSION) {
                throw BackupException.failed("backup manifest " + where + " has format " + m.formatVersion()
                        + "; this tool reads format " + FORMAT_VERSION);
            }
            return m;
        } catch (IOException | IllegalArgumentException | NullPointerException e) {
            throw BackupException.failed("backup manifest " + where + " is malformed: " + e.getMessage());
        }
    }
}
