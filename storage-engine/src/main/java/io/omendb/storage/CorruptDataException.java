package io.omendb.storage;

import java.io.IOException;
import java.nio.file.Path;

/** A file failed a checksum or structural check. The message always names the file. */
public final class CorruptDataException extends IOException {
    private final Path file;

    public CorruptDataException(Path file, String what) {
        super("corrupt data in " + file + ": " + what);
        this.file = file;
    }

    public Path file() {
        return file;
    }
}
