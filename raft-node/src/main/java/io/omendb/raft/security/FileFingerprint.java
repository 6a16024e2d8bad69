package io.omendb.raft.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * What a set of small files holds, as one SHA-256 over each file's name and contents (or a marker when it cannot
 * be read): two fingerprints differ exactly when some file's contents or readability changed, whatever its mtime
 * says. Used to notice changed security files (the router's reload check); stateless.
 */
public final class FileFingerprint {
    private FileFingerprint() {
    }

    public static byte[] of(List<Path> files) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
        for (Path f : files) {
            sha.update(f.toString().getBytes(StandardCharsets.UTF_8));
            try {
                byte[] content = Files.readAllBytes(f);
                sha.update((byte) 1);
                sha.update(Long.toString(content.length).getBytes(StandardCharsets.US_ASCII));
                sha.update(content);
            } catch (IOException unreadable) {
                sha.update((byte) 0);
            }
        }
        return sha.digest();
    }
}
