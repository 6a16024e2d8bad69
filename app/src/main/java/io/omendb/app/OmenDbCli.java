package io.omendb.app;

import io.omendb.backup.BackupCommand;
import io.omendb.config.ConfigLoader;
import io.omendb.config.OmenConfig;
import picocli.CommandLine;

/**
 * {@code bin/omendb}: the one entry point users run. Subcommands: {@code local} (a whole cluster in one process),
 * {@code node} (one storage node, with the HTTP router inside it), {@code router} (the HTTP router alone), and the
 * tools {@code user}, {@code backup} and {@code admin} (operator actions through the HTTP API).
 *
 * <p>Exit codes, shared by every subcommand: 0 clean stop (SIGTERM/SIGINT), 1 failure to start,
 * 2 bad arguments or configuration (the message names the option or the {@code section.key}).
 *
 * <p>{@link #commandLine} is the one way to build the command tree: it gives {@code backup} the knowledge of
 * {@code local}'s data dirs ({@link LocalDataDir}), which the backup module cannot have itself.
 */
@CommandLine.Command(name = "omendb", mixinStandardHelpOptions = true, versionProvider = OmenDbCli.Version.class,
        subcommands = {LocalCommand.class, NodeCommand.class, RouterCommand.class, UserCommand.class,
                BackupCommand.class, AdminCommand.class},
        description = "OmenDB: range-sharded, Raft-replicated key-value store with a learned index")
public final class OmenDbCli implements Runnable {
    static final int EXIT_OK = 0;
    static final int EXIT_START_FAILED = 1;
    static final int EXIT_CONFIG = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "a subcommand is required: local, node, router, user, backup or admin");
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = OmenDbCli.class.getPackage().getImplementationVersion();
            return new String[] {"omendb " + (v == null ? "dev" : v)};
        }
    }

    /** The command tree of {@code bin/omendb}, wired. */
    static CommandLine commandLine() {
        return new CommandLine(new OmenDbCli(), new Factory());
    }

    /** Builds {@code backup} with {@link LocalDataDir}; every other command as picocli does by default. */
    private static final class Factory implements CommandLine.IFactory {
        private final CommandLine.IFactory defaults = CommandLine.defaultFactory();

        @Override
        public <K> K create(Class<K> cls) throws Exception {
            if (cls == BackupCommand.class) {
                return cls.cast(new BackupCommand(new LocalDataDir()));
            }
            return defaults.create(cls);
        }
    }

    public static void main(String[] args) {
        // every subcommand logs as documented from the start; local, node and router then apply their settings
        Logging.configure(ConfigLoader.defaults().database().logLevel(), OmenConfig.Monitoring.Logs.DEFAULTS);
        System.exit(commandLine().execute(args));
    }
}
