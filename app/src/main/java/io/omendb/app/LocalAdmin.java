package io.omendb.app;

import io.omendb.config.ConfigException;
import io.omendb.router.security.Role;
import io.omendb.router.security.SecurityFileException;
import io.omendb.router.security.UserFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.EnumSet;

/**
 * The first start of {@code omendb local} with authentication on: creates user {@code admin} with every role and
 * a generated password, stores its bcrypt hash in {@code <data-dir>/users.htpasswd} and prints the password once
 * (it is not stored anywhere else; a lost password is replaced with {@code bin/omendb user add}). Later starts
 * find the file and print nothing.
 */
final class LocalAdmin {
    static final String USER = "admin";

    private LocalAdmin() {
    }

    static Path usersFile(Path root) {
        return root.resolve("users.htpasswd");
    }

    static Path rolesFile(Path root) {
        return root.resolve("roles.txt");
    }

    static void createOnFirstStart(Path root, String host, int httpPort) {
        if (Files.exists(usersFile(root))) {
            return;
        }
        String password = UserFiles.generatePassword(new SecureRandom());
        try {
            UserFiles.addUser(usersFile(root), rolesFile(root), USER, password.toCharArray(), EnumSet.allOf(Role.class));
        } catch (IOException | SecurityFileException e) {
            throw new ConfigException("security.users_file", "cannot create " + usersFile(root) + ": " + e.getMessage());
        }
        System.out.println("omendb: created user '" + USER + "' (roles read, write, admin) with password: " + password);
        System.out.println("omendb: this password is shown only once; its bcrypt hash is in " + usersFile(root));
        System.out.println("omendb: try: curl -u " + USER + ":" + password + " -X PUT --data world http://" + host + ":"
                + httpPort + "/v1/kv/hello");
        System.out.flush();
    }
}
