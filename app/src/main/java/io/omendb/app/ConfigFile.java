package io.omendb.app;

import io.omendb.config.ConfigException;
import io.omendb.config.ConfigLoader;
import io.omendb.config.ConfigNotice;
import io.omendb.config.OmenConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Loads {@code omendb.toml} with the environment overrides; failures name the key or the file. The loader's
 * {@link ConfigNotice}s (keys read under the operations guide's names, ignored keys, a one-node cluster) are
 * logged once the log level from the same file is set: logging before that would fix the level too early.
 */
final class ConfigFile {
    private ConfigFile() {
    }

    private static OmenConfig load(Path file, Consumer<ConfigNotice> notices) {
        try {
            return ConfigLoader.load(file, System.getenv(), notices);
        } catch (IOException e) {
            throw new ConfigException("--config", "cannot read " + file + ": " + e);
        }
    }

    /**
     * What {@code node} and {@code router} do first: load the file, configure the logs ({@link Logging}) and log the loader's notices
     * (WARN for an ignored key, INFO otherwise); on a refused configuration, print why (naming the key) and return
     * {@code null} so the command exits with {@link OmenDbCli#EXIT_CONFIG}.
     */
    static OmenConfig loadForCommand(Path file) {
        try {
            List<ConfigNotice> notices = new ArrayList<>();
            OmenConfig cfg = load(file, notices::add);
            Logging.configure(cfg.database().logLevel(), cfg.monitoring().logs());
            Logger log = LoggerFactory.getLogger(ConfigFile.class);
            for (ConfigNotice n : notices) {
                if (n.severity() == ConfigNotice.Severity.WARN) {
                    log.warn("{}: {}", n.key(), n.message());
                } else {
                    log.info("{}: {}", n.key(), n.message());
                }
            }
            return cfg;
        } catch (ConfigException e) {
            System.err.println("omendb: configuration refused: " + e.getMessage());
            return null;
        }
    }
}
