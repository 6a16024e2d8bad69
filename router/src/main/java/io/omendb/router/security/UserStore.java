package io.omendb.router.security;

import at.favre.lib.crypto.bcrypt.BCrypt;
import at.favre.lib.crypto.bcrypt.LongPasswordStrategies;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The users (htpasswd file, bcrypt hashes only) and their roles (roles file), as read at start or at a reload.
 *
 * <p><b>Files.</b> Users: {@code name:hash} lines as written by {@code htpasswd -B -C 12}; roles:
 * {@code name:role,role} lines with roles {@code read}, {@code write}, {@code admin}. Blank lines and lines
 * starting with {@code #} are ignored. Plaintext, {@code {SHA}}, MD5 ({@code $apr1$}), crypt and SHA-crypt entries
 * are refused, as are bcrypt costs below {@link #BCRYPT_COST_MIN}, duplicate users and roles for unknown users:
 * a store that starts is a store whose every password check is bcrypt.
 *
 * <p><b>Timing.</b> {@link #verify} runs bcrypt even for an unknown user (against a fixed dummy hash), so response
 * time does not tell which user names exist. bcrypt is slow on purpose (~0.1 s at cost 12): callers run it off
 * the event loops ({@link CredentialVerifier}).
 *
 * <p>Immutable after {@link #load}; thread-safe. A reload builds a new store ({@link SecurityReloader}).
 */
public final class UserStore {
    public static final int BCRYPT_COST_MIN = 10;
    public static final int BCRYPT_COST_DEFAULT = 12;
    /** bcrypt reads at most 72 bytes; longer passwords are cut there (as htpasswd does). */
    static final int PASSWORD_BYTES_MAX = 1024;
    static final Pattern USER_NAME = Pattern.compile("[A-Za-z0-9_.@-]{1,64}");
    private static final Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$(\\d\\d)\\$[./A-Za-z0-9]{53}");
    private static final BCrypt.Verifyer VERIFYER = BCrypt.verifyer(BCrypt.Version.VERSION_2Y,
            LongPasswordStrategies.truncate(BCrypt.Version.VERSION_2Y));
    private static final byte[] DUMMY_HASH = BCrypt.with(BCrypt.Version.VERSION_2Y)
            .hash(BCRYPT_COST_DEFAULT, "no such user".toCharArray());

    private record User(byte[] hash, Set<Role> roles) {
    }

    private final Map<String, User> users;

    private UserStore(Map<String, User> users) {
        this.users = Map.copyOf(users);
    }

    /** Reads and checks both files; {@link SecurityFileException} names the file and line of any problem. */
    public static UserStore load(Path usersFile, Path rolesFile) {
        Map<String, byte[]> hashes = readUsers(usersFile);
        Map<String, Set<Role>> roles = readRoles(rolesFile, hashes.keySet());
        Map<String, User> users = new LinkedHashMap<>();
        hashes.forEach((name, hash) -> users.put(name, new User(hash, roles.getOrDefault(name, Set.of()))));
        return new UserStore(users);
    }

    public int size() {
        return users.size();
    }

    /** True when {@code user} is listed. */
    public boolean contains(String user) {
        return users.containsKey(user);
    }

    /** True when {@code user} is listed in both stores with the same password hash. */
    public boolean sameCredentials(UserStore other, String user) {
        User mine = users.get(user);
        User theirs = other.users.get(user);
        return mine != null && theirs != null && java.util.Arrays.equals(mine.hash(), theirs.hash());
    }

    /** True when {@code password} is {@code user}'s; always costs one bcrypt verification. */
    public boolean verify(String user, byte[] password) {
        User u = users.get(user);
        byte[] hash = u == null ? DUMMY_HASH : u.hash();
        boolean ok = password.length <= PASSWORD_BYTES_MAX && VERIFYER.verify(password, hash).verified;
        return ok && u != null;
    }

    /** The roles of {@code user}; empty for unknown users. */
    public Set<Role> roles(String user) {
        User u = users.get(user);
        return u == null ? Set.of() : u.roles();
    }

    /** A bcrypt hash of {@code password} in the {@code $2y$} form htpasswd writes. */
    public static String hash(char[] password, int cost) {
        return BCrypt.with(BCrypt.Version.VERSION_2Y, LongPasswordStrategies.truncate(BCrypt.Version.VERSION_2Y))
                .hashToString(cost, password);
    }

    private static Map<String, byte[]> readUsers(Path file) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        List<String> lines = readLines(file, "users_file");
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = file + " line " + (i + 1);
            int colon = line.indexOf(':');
            String name = colon < 0 ? "" : line.substring(0, colon);
            if (!USER_NAME.matcher(name).matches()) {
                throw new SecurityFileException(where + ": expected name:bcrypt-hash with a name of 1-64 characters "
                        + "[A-Za-z0-9_.@-]");
            }
            String hash = line.substring(colon + 1);
            var m = BCRYPT.matcher(hash);
            if (!m.matches()) {
                throw new SecurityFileException(where + ": user '" + name + "' has a " + scheme(hash)
                        + "; only bcrypt hashes are accepted: htpasswd -B -C " + BCRYPT_COST_DEFAULT + " " + file
                        + " " + name);
            }
            int cost = Integer.parseInt(m.group(1));
            if (cost < BCRYPT_COST_MIN) {
                throw new SecurityFileException(where + ": user '" + name + "' has bcrypt cost " + cost
                        + ", below the minimum " + BCRYPT_COST_MIN + "; re-hash with htpasswd -B -C "
                        + BCRYPT_COST_DEFAULT);
            }
            if (out.put(name, hash.getBytes(StandardCharsets.US_ASCII)) != null) {
                throw new SecurityFileException(where + ": user '" + name + "' is listed twice");
            }
        }
        return out;
    }

    /** Names the hash scheme without echoing the hash (which may be a plaintext password). */
    private static String scheme(String hash) {
        if (hash.startsWith("{SHA}")) {
            return "SHA-1 hash ({SHA})";
        }
        if (hash.startsWith("$apr1$") || hash.startsWith("$1$")) {
            return "MD5 hash";
        }
        if (hash.startsWith("$5$") || hash.startsWith("$6$")) {
            return "SHA-crypt hash";
        }
        if (hash.startsWith("$2")) {
            return "malformed bcrypt hash";
        }
        return "plaintext or crypt(3) password";
    }

    private static Map<String, Set<Role>> readRoles(Path file, Set<String> knownUsers) {
        Map<String, Set<Role>> out = new LinkedHashMap<>();
        List<String> lines = readLines(file, "roles_file");
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = file + " line " + (i + 1);
            int colon = line.indexOf(':');
            if (colon < 0) {
                throw new SecurityFileException(where + ": expected user:role[,role...] (roles: read, write, admin)");
            }
            String name = line.substring(0, colon).strip();
            if (!knownUsers.contains(name)) {
                throw new SecurityFileException(where + ": user '" + sanitize(name) + "' is not in the users file");
            }
            Set<Role> roles = EnumSet.noneOf(Role.class);
            for (String r : line.substring(colon + 1).split(",")) {
                Role role = Role.parseOrNull(r.strip());
                if (role == null) {
                    throw new SecurityFileException(where + ": unknown role '" + sanitize(r.strip())
                            + "'; roles are read, write, admin");
                }
                roles.add(role);
            }
            if (out.put(name, Set.copyOf(roles)) != null) {
                throw new SecurityFileException(where + ": user '" + name + "' is listed twice");
            }
        }
        return out;
    }

    private static List<String> readLines(Path file, String key) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new SecurityFileException("cannot read security." + key + " " + file + " (" + e.getMessage()
                    + "); create it with: bin/omendb user add --users-file ... or set OMENDB_AUTH_DISABLED=true "
                    + "for local development", e);
        }
    }

    static String sanitize(String s) {
        return sanitize(s, 64);
    }

    /** {@code s} safe for a log line: printable ASCII without quotes or backslashes, at most {@code max} chars. */
    static String sanitize(String s, int max) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), max));
        for (int i = 0; i < s.length() && i < max; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? c : '?');
        }
        return b.toString();
    }
}
