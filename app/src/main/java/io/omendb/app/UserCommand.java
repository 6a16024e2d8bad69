package io.omendb.app;

import io.omendb.router.security.Role;
import io.omendb.router.security.SecurityFileException;
import io.omendb.router.security.UserFiles;
import picocli.CommandLine;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code omendb user add NAME --roles read,write [--users-file F] [--roles-file F] [--password-stdin]}: adds or
 * replaces a user in the htpasswd (bcrypt, cost 12) and roles files the router reads. Without
 * {@code --password-stdin} a random password is generated and printed once. Routers read the files at start:
 * restart them to apply.
 */
@CommandLine.Command(name = "user", mixinStandardHelpOptions = true, description = "Manage users and roles",
        subcommands = UserCommand.Add.class)
final class UserCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: add");
    }

    @CommandLine.Command(name = "add", mixinStandardHelpOptions = true, description = "Add or replace a user")
    static final class Add implements Callable<Integer> {
        @CommandLine.Parameters(index = "0", description = "user name (1-64 of [A-Za-z0-9_.@-])")
        String name;

        @CommandLine.Option(names = "--roles", required = true, split = ",",
                description = "comma-separated roles: read, write, admin")
        List<String> roles;

        @CommandLine.Option(names = "--users-file", defaultValue = "users.htpasswd",
                description = "htpasswd file (default users.htpasswd)")
        Path usersFile;

        @CommandLine.Option(names = "--roles-file", defaultValue = "roles.txt",
                description = "roles file (default roles.txt)")
        Path rolesFile;

        @CommandLine.Option(names = "--password-stdin", description = "read the password from the first line of stdin")
        boolean passwordStdin;

        @Override
        public Integer call() throws IOException {
            Set<Role> parsed = EnumSet.noneOf(Role.class);
            for (String r : roles) {
                try {
                    parsed.add(Role.valueOf(r.strip().toUpperCase(java.util.Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    System.err.println("omendb: --roles: unknown role '" + r + "'; roles are read, write, admin");
                    return OmenDbCli.EXIT_CONFIG;
                }
            }
            String password = passwordStdin ? new BufferedReader(new InputStreamReader(System.in,
                    StandardCharsets.UTF_8)).readLine() : UserFiles.generatePassword(new SecureRandom());
            if (password == null) {
                System.err.println("omendb: --password-stdin: no password on stdin");
                return OmenDbCli.EXIT_CONFIG;
            }
            try {
                UserFiles.addUser(usersFile, rolesFile, name, password.toCharArray(), parsed);
            } catch (SecurityFileException e) {
                System.err.println("omendb: " + e.getMessage());
                return OmenDbCli.EXIT_CONFIG;
            }
            System.out.println("omendb: user '" + name + "' written to " + usersFile + " with roles " + parsed
                    + " in " + rolesFile + (passwordStdin ? "" : "; password (shown once): " + password));
            System.out.println("omendb: restart the routers to apply");
            return OmenDbCli.EXIT_OK;
        }
    }
}
