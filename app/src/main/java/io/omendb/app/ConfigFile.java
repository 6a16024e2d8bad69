package io.omendb.app;

import io.omendb.config.ConfigException;
import io.omendb.config.ConfigLoader;
import io.omendb.config.OmenConfig;

import java.io.IOException;
import java.nio.file.Path;

/** Loads {@code omendb.toml} with the environment overrides; failures name the key or the file. */
final class ConfigFile {
    private ConfigFile() {
    }

    static OmenConfig load(Path file) {
        try {
            return ConfigLoader.load(file, System.getenv());
        } catch (IOException e) {
            throw new ConfigException("--config", "cannot read " + file + ": " + e);
        }
    }

    /**
     * What {@code node} and {@code router} do first: load the file and configure the logs ({@link Logging}); on a
     * refused configuration, print why (naming the key) and return {@code null} so the command exits with
     * {@link OmenDbCli#EXIT_CONFIG}.
     */
    static OmenConfig loadForCommand(Path file) {
        try {
            OmenConfig cfg = load(file);
            Logging.configure(cfg.database().logLevel(), cfg.monitoring().logs());
            return cfg;
        } catch (ConfigException e) {
            System.err.println("omendb: configuration refused: " + e.getMessage());
            return null;
        }
    }
}
