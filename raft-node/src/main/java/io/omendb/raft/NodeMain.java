package io.omendb.raft;

import io.omendb.config.ConfigException;
import io.omendb.config.ConfigLoader;
import io.omendb.config.OmenConfig;
import picocli.CommandLine;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code omendb node --config FILE}: runs one node until SIGTERM/SIGINT, then closes it cleanly (Raft log and
 * engines flushed, RocksDB closed). Exit codes: 0 clean stop, 2 configuration refused (the message names the key),
 * 1 failure to start.
 */
@CommandLine.Command(name = "omendb", mixinStandardHelpOptions = true, subcommands = NodeMain.Node.class,
        description = "OmenDB: range-sharded, Raft-replicated key-value store")
public final class NodeMain {
    static final int EXIT_CONFIG = 2;
    static final int EXIT_START_FAILED = 1;

    @CommandLine.Command(name = "node", description = "Run a storage node")
    static final class Node implements Callable<Integer> {
        @CommandLine.Option(names = "--config", required = true, description = "path of omendb.toml")
        Path config;

        @Override
        public Integer call() throws Exception {
            OmenConfig cfg;
            try {
                cfg = ConfigLoader.load(config, System.getenv());
            } catch (ConfigException e) {
                System.err.println("omendb: configuration refused: " + e.getMessage());
                return EXIT_CONFIG;
            }
            configureLogging(cfg.database().logLevel());
            OmenNode node;
            try {
                node = OmenNode.start(cfg);
            } catch (ConfigException e) {
                System.err.println("omendb: configuration refused: " + e.getMessage());
                return EXIT_CONFIG;
            } catch (Exception e) {
                System.err.println("omendb: node failed to start: " + e);
                return EXIT_START_FAILED;
            }
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    node.close();
                } catch (Exception e) {
                    System.err.println("omendb: error while stopping: " + e);
                } finally {
                    stopped.countDown();
                }
            }, "omendb-shutdown"));
            System.out.println("omendb: node " + cfg.cluster().nodeId() + " ready");
            stopped.await();
            return 0;
        }
    }

    /** slf4j-simple reads these once, at its first use: set them before anything logs. */
    private static void configureLogging(String level) {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", level);
        System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
        if (level.equals("info")) {
            System.setProperty("org.slf4j.simpleLogger.log.org.apache.ratis", "warn");
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new NodeMain()).execute(args));
    }
}
