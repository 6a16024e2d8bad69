package io.omendb.router.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The users and roles files: bcrypt only, clear refusals that never echo a secret, and the writer's round trip. */
class UserStoreTest {
    /** Written by Apache's {@code htpasswd -nbB -C 10 carol carol-secret-1} (apache2-utils). */
    private static final String HTPASSWD_B_LINE = "carol:$2y$10$n//p.hVD4eMdQWj0mPIROeXut0mEz9KQSRAu3qhxtrWz0M0VCcahe";

    @TempDir
    Path dir;

    @Test
    void acceptsHashesWrittenByApacheHtpasswd() throws Exception {
        UserStore users = load("# operators\n\n" + HTPASSWD_B_LINE + "\n", "carol: read , admin\n");
        assertTrue(users.verify("carol", bytes("carol-secret-1")));
        assertFalse(users.verify("carol", bytes("carol-secret-2")));
        assertFalse(users.verify("dave", bytes("carol-secret-1")));
        assertEquals(Set.of(Role.READ, Role.ADMIN), users.roles("carol"));
        assertEquals(Set.of(), users.roles("dave"));
    }

    @Test
    void refusesEveryNonBcryptSchemeWithoutEchoingIt() throws Exception {
        String[][] refused = {
                {"bob:hunter2hunter2", "plaintext"},
                {"bob:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "SHA-1"},
                {"bob:$apr1$abcdefgh$0123456789abcdefghijkl", "MD5"},
                {"bob:$6$salt$" + "x".repeat(86), "SHA-crypt"},
                {"bob:abJnggxhB/yWI", "plaintext or crypt"},
                {"bob:" + UserStore.hash("weak-cost".toCharArray(), 4), "cost 4"},
                {"bob:$2y$12$tooshort", "malformed bcrypt"},
        };
        for (String[] c : refused) {
            SecurityFileException e = assertThrows(SecurityFileException.class, () -> load(c[0] + "\n", ""), c[0]);
            assertTrue(e.getMessage().contains(c[1]), e.getMessage());
            assertTrue(e.getMessage().contains("line 1"), e.getMessage());
            assertFalse(e.getMessage().contains(c[0].substring(4)), "the secret must not be echoed: " + e.getMessage());
        }
    }

    @Test
    void refusesDuplicatesUnknownRolesAndRolesOfUnknownUsers() {
        assertThrows(SecurityFileException.class, () -> load(HTPASSWD_B_LINE + "\n" + HTPASSWD_B_LINE + "\n", ""));
        SecurityFileException role = assertThrows(SecurityFileException.class,
                () -> load(HTPASSWD_B_LINE + "\n", "carol:read,root\n"));
        assertTrue(role.getMessage().contains("unknown role 'root'"), role.getMessage());
        SecurityFileException user = assertThrows(SecurityFileException.class,
                () -> load(HTPASSWD_B_LINE + "\n", "erin:read\n"));
        assertTrue(user.getMessage().contains("'erin' is not in the users file"), user.getMessage());
        SecurityFileException missing = assertThrows(SecurityFileException.class,
                () -> UserStore.load(dir.resolve("absent"), dir.resolve("absent-roles")));
        assertTrue(missing.getMessage().contains("security.users_file"), missing.getMessage());
    }

    @Test
    void userFilesWritesOwnerOnlyFilesThatLoadAndReplacesEntries() throws Exception {
        Path users = dir.resolve("u.htpasswd");
        Path roles = dir.resolve("r.txt");
        String password = UserFiles.generatePassword(new SecureRandom());
        assertEquals(24, password.length());
        UserFiles.addUser(users, roles, "admin", password.toCharArray(), EnumSet.allOf(Role.class));
        UserFiles.addUser(users, roles, "app", "app-password".toCharArray(), EnumSet.of(Role.READ, Role.WRITE));
        UserFiles.addUser(users, roles, "app", "new-password".toCharArray(), EnumSet.of(Role.READ));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(users)));
        UserStore store = UserStore.load(users, roles);
        assertEquals(2, store.size());
        assertTrue(store.verify("admin", bytes(password)));
        assertTrue(store.verify("app", bytes("new-password")));
        assertFalse(store.verify("app", bytes("app-password")));
        assertEquals(Set.of(Role.READ), store.roles("app"));
        assertTrue(Files.readString(users).contains("$2y$12$"), "default cost 12");
        assertThrows(SecurityFileException.class, () -> UserFiles.addUser(users, roles, "x:y", "password1".toCharArray(),
                Set.of()));
        assertThrows(SecurityFileException.class, () -> UserFiles.addUser(users, roles, "short", "1234567".toCharArray(),
                Set.of()));
    }

    private UserStore load(String usersText, String rolesText) throws Exception {
        Files.writeString(dir.resolve("users"), usersText);
        Files.writeString(dir.resolve("roles"), rolesText);
        return UserStore.load(dir.resolve("users"), dir.resolve("roles"));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
