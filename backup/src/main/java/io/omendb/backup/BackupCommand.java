package io.omendb.backup;

import io.omendb.raft.archive.ArchiveFiles;
import io.omendb.config.ConfigException;
import io.omendb.config.ConfigLoader;
import io.omendb.config.OmenConfig;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code bin/omendb backup}: the operator's backup tool (docs/BACKUP.md). Global options pick the backup directory
 * and the source: {@code --cluster URL} (a running cluster, through its admin HTTP API) or {@code --data-dir DIR}.
 * Exit codes: 0 success, 1 failure (cluster unreachable, I/O error, verification failed, a gap or damage in the
 * log archive), 2 bad arguments or a refused request (e.g. restore over existing data without {@code --force},
 * {@code --until} before every usable backup, {@code --data-dir} of a running node).
 *
 * <p><b>{@code --data-dir} of a whole cluster.</b> When the {@link NodeConfigSource} the composition root supplies
 * recognises {@code --data-dir} as a directory holding every node of a cluster ({@code omendb local}'s), the
 * backup subcommands read every node's dir, {@code archive-log} archives every node, and {@code restore} takes the
 * nodes' configurations from it instead of {@code --config}.
 */
@CommandLine.Command(name = "backup", mixinStandardHelpOptions = true,
        subcommands = {BackupCommand.Full.class, BackupCommand.Incremental.class, BackupCommand.ListBackups.class,
                BackupCommand.Verify.class, BackupCommand.Restore.class, BackupCommand.Cleanup.class,
                BackupCommand.ArchiveLog.class},
        description = "Full and incremental backups of a cluster; list, verify, restore, cleanup; archive-log "
                + "(a stopped node's committed Raft log into the log archive)")
public final class BackupCommand implements Runnable {
    @CommandLine.Option(names = "--backup-dir", required = true, description = "directory holding the backups")
    Path backupDir;

    @CommandLine.Option(names = "--cluster", description = "base URL of a running cluster's HTTP API, e.g. "
            + "http://127.0.0.1:3000")
    URI cluster;

    @CommandLine.Option(names = "--data-dir", description = "a stopped node's data dir as the backup source "
            + "(instead of --cluster): its engines plus its committed Raft log; or the --data-dir of a stopped "
            + "`omendb local` cluster (backup source, restore target, archive-log)")
    Path dataDir;

    @CommandLine.Option(names = "--user", description = "user for HTTP Basic authentication (admin role)")
    String user;

    @CommandLine.Option(names = "--password-file", description = "file whose first line is --user's password")
    Path passwordFile;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    Clock clock = Clock.systemUTC();

    /** What a refusal of a running node tells the operator to do, when --data-dir is one node's dir. */
    static final String STOP_THE_NODE = "stop it first";

    private final NodeConfigSource clusters;

    /** The standalone tool: every {@code --data-dir} is one node's data dir. */
    public BackupCommand() {
        this(NodeConfigSource.NONE);
    }

    /** @param clusters recognises a {@code --data-dir} that holds a whole cluster ({@code omendb local}'s) */
    public BackupCommand(NodeConfigSource clusters) {
        this.clusters = clusters;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: full-backup, "
                + "incremental-backup, list, verify, restore or cleanup");
    }

    BackupRepository repo() {
        return new BackupRepository(backupDir);
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    BackupTaker.Progress progress() {
        return s -> {
            out().println(s);
            out().flush();
        };
    }

    /** The cluster kept under {@code --data-dir}, if {@code --data-dir} is given and holds one. */
    Optional<NodeConfigSource.Cluster> dataDirCluster() throws BackupException {
        if (dataDir == null) {
            return Optional.empty();
        }
        try {
            return clusters.clusterIn(dataDir);
        } catch (ConfigException e) {
            throw BackupException.usage(dataDir + " refused: " + e.getMessage());
        } catch (IOException e) {
            throw BackupException.failed("cannot read " + dataDir + ": " + e.getMessage());
        }
    }

    /** The stopped nodes {@code --data-dir} stands for: every node of the cluster it holds, or itself. */
    record StoppedNodes(List<Path> dataDirs, String ifRunning) {
    }

    StoppedNodes stoppedNodes() throws BackupException {
        return dataDirCluster().map(c -> new StoppedNodes(c.nodes().stream().map(n -> n.database().dataDir())
                .toList(), c.ifRunning())).orElseGet(() -> new StoppedNodes(List.of(dataDir), STOP_THE_NODE));
    }

    BackupSource source(String database) throws BackupException {
        if (dataDir != null && cluster != null) {
            throw BackupException.usage("give either --cluster URL or --data-dir DIR as the backup source, not both");
        }
        if (dataDir != null) {
            StoppedNodes nodes = stoppedNodes();
            try {
                Files.createDirectories(backupDir);
                return new DataDirSource(dataDir, nodes.dataDirs(), nodes.ifRunning() + ", or back up through "
                        + "--cluster", database, Files.createTempDirectory(backupDir, ".datadir-"));
            } catch (IOException e) {
                throw BackupException.failed("cannot create a scratch dir in " + backupDir + ": " + e.getMessage());
            }
        }
        if (cluster == null) {
            throw BackupException.usage("--cluster URL (the HTTP API of any node of a running cluster) or --data-dir "
                    + "DIR (a stopped node's data dir) is required");
        }
        if ((user == null) != (passwordFile == null)) {
            throw BackupException.usage("--user and --password-file go together");
        }
        String password = null;
        if (passwordFile != null) {
            try {
                List<String> lines = Files.readAllLines(passwordFile, StandardCharsets.UTF_8);
                password = lines.isEmpty() ? "" : lines.get(0);
            } catch (IOException e) {
                throw BackupException.usage("cannot read --password-file " + passwordFile + ": " + e.getMessage());
            }
        }
        return new ClusterSource(cluster, user, password);
    }

    /** Runs {@code body}, turning a {@link BackupException} into its message on stderr and its exit code. */
    int run(Body body) {
        try {
            body.run();
            return 0;
        } catch (BackupException e) {
            spec.commandLine().getErr().println("omendb backup: " + e.getMessage());
            spec.commandLine().getErr().flush();
            return e.exitCode();
        }
    }

    interface Body {
        void run() throws BackupException;
    }

    /** Runs a full or incremental backup of {@code database}: the two subcommands differ only in the kind. */
    int take(String database, BackupManifest.Kind kind) {
        return run(() -> {
            String db = validDatabase(database);
            new BackupTaker(repo(), source(db), clock, progress()).take(db, kind);
        });
    }

    private static String validDatabase(String name) throws BackupException {
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")) {
            throw BackupException.usage("bad --database '" + name + "'");
        }
        return name;
    }

    @CommandLine.Command(name = "full-backup", mixinStandardHelpOptions = true,
            description = "Back up every range of the database at a committed Raft index")
    static final class Full implements Callable<Integer> {
        @CommandLine.ParentCommand
        BackupCommand parent;

        @CommandLine.Option(names = "--database", required = true)
        String database;

        @Override
        public Integer call() {
            return parent.take(database, BackupManifest.Kind.FULL);
        }
    }

    @CommandLine.Command(name = "incremental-backup", mixinStandardHelpOptions = true,
            description = "Back up only segment files the newest backup of the database does not hold")
    static final class Incremental implements Callable<Integer> {
        @CommandLine.ParentCommand
        BackupCommand parent;

        @CommandLine.Option(names = "--database", required = true)
        String database;

        @Override
        public Integer call() {
            return parent.take(database, BackupManifest.Kind.INCREMENTAL);
        }
    }

    @CommandLine.Command(name = "list", mixinStandardHelpOptions = true,
            description = "Complete backups, newest first; the id is the first column")
    static final class ListBackups implements Callable<Integer> {
        @CommandLine.ParentCommand
        BackupCommand parent;

        @CommandLine.Option(names = "--database")
        String database;

        @CommandLine.Option(names = "--verbose", description = "also show each range")
        boolean verbose;

        @Override
        public Integer call() {
            return parent.run(() -> {
                List<String> damaged = new ArrayList<>();
                PrintWriter out = parent.out();
                for (BackupManifest m : parent.repo().list(damaged)) {
                    if (database != null && !database.equals(m.database())) {
                        continue;
                    }
                    out.printf("%s %s %s %s ranges=%d bytes=%d own_bytes=%d parent=%s%n", m.backupId(),
                            m.kind().name().toLowerCase(), m.database(), Instant.ofEpochMilli(m.createdAtMillis()),
                            m.ranges().size(), m.totalBytes(), m.ownBytes(), m.parentId() == null ? "-" : m.parentId());
                    if (verbose) {
                        for (BackupManifest.RangeEntry r : m.ranges()) {
                            out.printf("    range %d [%s, %s) index=%d term=%d keys=%d bytes=%d files=%d digest=%s%n",
                                    r.rangeId(), r.startHex(), r.endHex() == null ? "+inf" : r.endHex(), r.index(),
                                    r.term(), r.liveKeys(), r.sizeBytes(), r.files().size(), r.digest());
                        }
                    }
                }
                out.flush();
                for (String d : damaged) {
                    parent.spec.commandLine().getErr().println("omendb backup: warning: damaged backup " + d);
                }
            });
        }
    }

    @CommandLine.Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Check every checksum, every chain link, and open each range's engine")
    static final class Verify implements Callable<Integer> {
        @CommandLine.ParentCommand
        BackupCommand parent;

        @CommandLine.Option(names = "--backup-id", required = true, description = "a backup id, or latest")
        String backupId;

        @Override
        public Integer call() {
            return parent.run(() -> {
                BackupManifest m = parent.repo().load(backupId);
                List<String> problems = new BackupVerifier(parent.repo()).verify(m);
                if (!problems.isEmpty()) {
                    throw BackupException.failed("backup " + m.backupId() + " is NOT restorable:\n  "
                            + String.join("\n  ", problems));
                }
                parent.out().println("backup " + m.backupId() + " OK: " + m.ranges().size() + " ranges, "
                        + m.totalBytes() + " bytes, chain of " + parent.repo().chain(m).size());
                parent.out().flush();
            });
        }
    }

    @CommandLine.Command(name = "restore", mixinStandardHelpOptions = true,
            description = "Rebuild the data dirs of a stopped cluster from a backup")
    static final class Restore implements Callable<Integer> {
        @CommandLine.ParentCommand
        BackupCommand parent;

        @CommandLine.Option(names = "--backup-id", required = true, description = "a backup id, or latest")
        String backupId;

        @CommandLine.Option(names = "--config", description = "omendb.toml of a node of the target cluster; "
                + "once per node (not needed with --data-dir of an `omendb local` data dir)")
        List<Path> configs = new ArrayList<>();

        @CommandLine.Option(names = "--force", description = "replace existing data in the nodes' data dirs")
        boolean force;

        @CommandLine.Option(names = "--until", description = "point-in-time restore: the state at this UTC instant "
                + "(ISO-8601, e.g. 2026-11-26T14:05:00Z or 2026-11-26T15:05:00+01:00), replayed from the log archive "
                + "on top of the backup (latest: the newest backup taken before it)")
        String until;

        @CommandLine.Option(names = "--log-archive-dir", description = "the Raft log archive for --until (default "
                + "<backup-dir>/" + BackupRepository.LOG_ARCHIVE_DIR + ", where [backup] log_archive_dir should point)")
        Path logArchiveDir;

        @Override
        public Integer call() {
            return parent.run(() -> {
                Instant at = until == null ? null : parseInstant(until);
                if (at == null && logArchiveDir != null) {
                    throw BackupException.usage("--log-archive-dir only goes with --until");
                }
                NodeConfigSource.Cluster target = target();
                List<OmenConfig> nodes = target.nodes();
                ClusterRestorer restorer = new ClusterRestorer(parent.repo(), parent.progress());
                if (at == null) {
                    restorer.restore(parent.repo().load(backupId), nodes, force, null, target.ifRunning());
                    return;
                }
                PointInTimeRestore pitr = new PointInTimeRestore(parent.repo(), logArchiveDir != null ? logArchiveDir
                        : parent.backupDir.resolve(BackupRepository.LOG_ARCHIVE_DIR), parent.progress());
                BackupManifest m = pitr.choose(backupId, nodes.get(0).database().name(), at);
                parent.progress().line("restoring backup " + m.backupId() + " + the log archive up to " + at);
                restorer.restore(m, nodes, force, new ClusterRestorer.Until(pitr, at), target.ifRunning());
            });
        }

        /** The nodes to restore onto: from --data-dir (a cluster directory) or from the --config files. */
        private NodeConfigSource.Cluster target() throws BackupException {
            if (parent.dataDir != null) {
                if (!configs.isEmpty()) {
                    throw BackupException.usage("give either --config FILE (once per node of the target cluster) or "
                            + "--data-dir DIR (an `omendb local` data dir), not both");
                }
                return parent.dataDirCluster().orElseThrow(() -> BackupException.usage(parent.dataDir + " is not "
                        + "the data dir of an `omendb local` cluster (the directory `omendb local --data-dir` ran "
                        + "on): restore into it needs that directory; to restore onto the nodes of another cluster, "
                        + "pass --config FILE once per node instead of --data-dir"));
            }
            List<OmenConfig> nodes = new ArrayList<>();
            for (Path c : configs) {
                try {
                    nodes.add(ConfigLoader.load(c, System.getenv()));
                } catch (ConfigException e) {
                    throw BackupException.usage("config " + c + " refused: " + e.getMessage());
                } catch (IOException e) {
                    throw BackupException.usage("cannot read config " + c + ": " + e.getMessage());
                }
            }
            if (nodes.isEmpty()) {
                throw BackupException.usage("restore needs the configuration of every node of the target "
                        + "cluster (--config FILE, once per node), or --data-dir DIR of an `omendb local` data dir");
            }
            return new NodeConfigSource.Cluster(nodes, STOP_THE_NODE);
        }
    }

    @CommandLine.Command(name = "cleanup", mixinStandardHelpOptions = true,
            description = "Remove backups older than the retention period that no kept backup needs")
    static final class Cleanup implements Callable<Integer> {
        @CommandLine.ParentCommand
        BackupCommand parent;

        @CommandLine.Option(names = "--retention-days", required = true)
        int retentionDays;

        @CommandLine.Option(names = "--dry-run", description = "only print what would be removed")
        boolean dryRun;

        @CommandLine.Option(names = "--log-archive-dir", description = "the log archive to prune (default "
                + "<backup-dir>/" + BackupRepository.LOG_ARCHIVE_DIR + ")")
        Path logArchiveDir;

        @Override
        public Integer call() {
            return parent.run(() -> {
                if (retentionDays < 0) {
                    throw BackupException.usage("--retention-days must be >= 0, got " + retentionDays);
                }
                BackupCleaner cleaner = new BackupCleaner(parent.repo(), parent.clock, logArchiveDir != null
                        ? logArchiveDir : parent.backupDir.resolve(BackupRepository.LOG_ARCHIVE_DIR));
                BackupCleaner.Plan plan = cleaner.plan(retentionDays);
                PrintWriter out = parent.out();
                String verb = dryRun ? "would remove" : "removing";
                plan.delete().forEach(m -> out.println(verb + " " + m.backupId()));
                plan.keptForChain().forEach(m -> out.println("keeping expired " + m.backupId()
                        + " (a kept incremental backup needs it)"));
                plan.partials().forEach(p -> out.println(verb + " unfinished " + p.getFileName()));
                if (!plan.archive().isEmpty()) {
                    out.println(verb + " " + plan.archive().size() + " archived log files ("
                            + plan.archive().stream().mapToLong(ArchiveFiles.Archived::sizeBytes).sum() + " bytes) "
                            + "older than every kept backup's checkpoint");
                }
                plan.notes().forEach(out::println);
                out.flush();
                if (!dryRun) {
                    cleaner.execute(plan);
                }
            });
        }
    }

    @CommandLine.Command(name = "archive-log", mixinStandardHelpOptions = true,
            description = "Archive the committed Raft log of a stopped node (--data-dir) into the log archive")
    static final class ArchiveLog implements Callable<Integer> {
        @CommandLine.ParentCommand
        BackupCommand parent;

        @CommandLine.Option(names = "--log-archive-dir", description = "the log archive (default <backup-dir>/"
                + BackupRepository.LOG_ARCHIVE_DIR + ")")
        Path logArchiveDir;

        @Override
        public Integer call() {
            return parent.run(() -> {
                if (parent.dataDir == null) {
                    throw BackupException.usage("archive-log needs --data-dir DIR (a stopped node's data dir, or a "
                            + "stopped `omendb local` data dir)");
                }
                Path archive = logArchiveDir != null ? logArchiveDir
                        : parent.backupDir.resolve(BackupRepository.LOG_ARCHIVE_DIR);
                StoppedNodes nodes = parent.stoppedNodes();
                for (Path node : nodes.dataDirs()) {
                    new StoppedNodeArchiver(node, archive, parent.progress(), nodes.ifRunning()).run();
                }
            });
        }
    }

    static Instant parseInstant(String s) throws BackupException {
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            throw BackupException.usage("--until '" + s + "' is not an ISO-8601 time with an offset, e.g. "
                    + "2026-11-26T14:05:00Z or 2026-11-26T15:05:00.250+01:00");
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new BackupCommand()).execute(args));
    }
}
