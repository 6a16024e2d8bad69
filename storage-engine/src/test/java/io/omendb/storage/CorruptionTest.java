package io.omendb.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A flipped byte anywhere in a segment or the manifest, or a truncated file, is reported naming the file. */
class CorruptionTest {
    @TempDir
    Path tmp;

    private Path writeEngine(boolean compress) throws IOException {
        Path dir = tmp.resolve("e" + compress);
        EngineOptions opts = EngineOptions.defaults().withCompression(compress).withFsync(false);
        try (StorageEngine e = StorageEngine.open(dir, opts)) {
            for (long i = 0; i < 20_000; i++) {
                e.put(KeyDistribution.UNIFORM.encode(i * 7919), ("value-" + i).getBytes());
            }
        }
        return dir;
    }

    private static Path onlySegment(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> segs = files.filter(f -> f.toString().endsWith(".oseg")).toList();
            assertTrue(segs.size() == 1, "expected one segment, found " + segs);
            return segs.get(0);
        }
    }

    @ParameterizedTest(name = "compress={0}")
    @ValueSource(booleans = {false, true})
    void flippedByteAnywhereIsDetected(boolean compress) throws IOException {
        Path dir = writeEngine(compress);
        Path seg = onlySegment(dir);
        long size = Files.size(seg);
        for (long pos : new long[]{3, 20, size / 3, size / 2, size - 200, size - 40, size - 10, size - 1}) {
            flip(seg, pos);
            CorruptDataException e = assertThrows(CorruptDataException.class,
                    () -> StorageEngine.open(dir, EngineOptions.defaults()), "flip at " + pos);
            assertTrue(e.getMessage().contains(seg.getFileName().toString()), e.getMessage());
            flip(seg, pos); // restore
        }
        StorageEngine.open(dir, EngineOptions.defaults()).close();
    }

    /** A large value is read from the file when asked for: its block's checksum is verified again then. */
    @ParameterizedTest(name = "compress={0}")
    @ValueSource(booleans = {false, true})
    void byteFlippedAfterOpenInALargeValueIsDetectedOnRead(boolean compress) throws IOException {
        Path dir = tmp.resolve("large" + compress);
        EngineOptions opts = EngineOptions.defaults().withCompression(compress).withFsync(false);
        byte[] key = KeyDistribution.UNIFORM.encode(42);
        try (StorageEngine e = StorageEngine.open(dir, opts)) {
            e.put(key, LargeValueChild.value(42, 8192));
        }
        try (StorageEngine e = StorageEngine.open(dir, opts)) {
            Path seg = onlySegment(dir);
            flip(seg, 100);
            UncheckedIOException thrown = assertThrows(UncheckedIOException.class, () -> e.get(key));
            assertTrue(thrown.getCause() instanceof CorruptDataException, thrown.toString());
            assertTrue(thrown.getMessage().contains(seg.getFileName().toString()), thrown.getMessage());
            flip(seg, 100);
            assertArrayEquals(LargeValueChild.value(42, 8192), e.get(key));
        }
    }

    @Test
    void truncatedSegmentIsDetected() throws IOException {
        Path dir = writeEngine(false);
        Path seg = onlySegment(dir);
        try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 100);
        }
        CorruptDataException e = assertThrows(CorruptDataException.class, () -> StorageEngine.open(dir, EngineOptions.defaults()));
        assertTrue(e.getMessage().contains(seg.getFileName().toString()), e.getMessage());
    }

    @Test
    void corruptManifestIsDetected() throws IOException {
        Path dir = writeEngine(false);
        Path manifest = dir.resolve("MANIFEST");
        flip(manifest, 12);
        CorruptDataException e = assertThrows(CorruptDataException.class, () -> StorageEngine.open(dir, EngineOptions.defaults()));
        assertTrue(e.getMessage().contains("MANIFEST"), e.getMessage());
    }

    @Test
    void missingSegmentIsReported() throws IOException {
        Path dir = writeEngine(false);
        Files.delete(onlySegment(dir));
        assertThrows(IOException.class, () -> StorageEngine.open(dir, EngineOptions.defaults()));
    }

    @Test
    void secondOpenOfTheSameDirectoryIsRefused() throws IOException {
        Path dir = tmp.resolve("locked");
        try (StorageEngine ignored = StorageEngine.open(dir, EngineOptions.defaults().withFsync(false))) {
            IOException e = assertThrows(IOException.class, () -> StorageEngine.open(dir, EngineOptions.defaults()));
            assertTrue(e.getMessage().contains("already open"), e.getMessage());
        }
    }

    static void flip(Path file, long pos) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, pos);
            b.put(0, (byte) (b.get(0) ^ 0x5A));
            b.rewind();
            ch.write(b, pos);
        }
    }
}
