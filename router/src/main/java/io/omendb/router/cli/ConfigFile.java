package io.omendb.router.cli;

import io.omendb.raft.config.ConfigException;
import io.omendb.raft.config.ConfigLoader;
import io.omendb.raft.config.OmenConfig;

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
}
