package io.omendb.router.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Adds or replaces a user in the users (htpasswd) and roles files, the way {@code bin/omendb user add} and the
 * first start of {@code omendb local} do. Each file is rewritten whole to a temporary file with owner-only
 * permissions, fsynced and renamed over the old one, so a crash leaves either the old or the new file. The
 * result is read back with {@link UserStore#load} before it is kept, so a file this class writes always loads.
 * Not safe against concurrent writers: run one at a time.
 */
public final class UserFiles {
    /** Generated passwords: 18 random bytes (144 bits) as 24 base64url characters. */
    static final int GENERATED_PASSWORD_BYTES = 18;

    private UserFiles() {
    }

    /** A fresh random password for a generated account. */
    public static String generatePassword(SecureRandom random) {
        byte[] b = new byte[GENERATED_PASSWORD_BYTES];
        random.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** Writes {@code user} with a bcrypt hash of {@code password} and {@code roles}, replacing any old entry. */
    public static void addUser(Path usersFile, Path rolesFile, String user, char[] password, Set<Role> roles)
            throws IOException {
        if (!UserStore.USER_NAME.matcher(user).matches()) {
            throw new SecurityFileException("user name must be 1-64 characters [A-Za-z0-9_.@-], got '"
                    + UserStore.sanitize(user) + "'");
        }
        if (password.length < 8) {
            throw new SecurityFileException("password must be at least 8 characters");
        }
        String hash = UserStore.hash(password, UserStore.BCRYPT_COST_DEFAULT);
        String roleList = roles.stream().sorted().map(Role::fileName).collect(Collectors.joining(","));
        replaceLine(usersFile, user, user + ":" + hash);
        replaceLine(rolesFile, user, roles.isEmpty() ? null : user + ":" + roleList);
        UserStore.load(usersFile, rolesFile);
    }

    private static void replaceLine(Path file, String user, String lineOrNull) throws IOException {
        List<String> lines = new ArrayList<>();
        if (Files.exists(file)) {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (!line.strip().startsWith(user + ":")) {
                    lines.add(line);
                }
            }
        }
        if (lineOrNull != null) {
            lines.add(lineOrNull);
        }
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.write(tmp, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
            try (var channel = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
