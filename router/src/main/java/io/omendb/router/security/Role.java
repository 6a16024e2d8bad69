package io.omendb.router.security;

import java.util.Locale;

/**
 * What a user may do. Roles are independent (admin does not imply write): reads (GET of keys, scans) need
 * {@link #READ}, writes (put, delete, CAS, batch) {@link #WRITE}, every {@code /admin/*} endpoint {@link #ADMIN}.
 */
public enum Role {
    READ, WRITE, ADMIN;

    /** The role's name as written in the roles file. */
    public String fileName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a roles-file name; null when it is not a role. */
    static Role parseOrNull(String name) {
        for (Role r : values()) {
            if (r.fileName().equals(name)) {
                return r;
            }
        }
        return null;
    }
}
