package io.omendb.config;

/**
 * A configuration value was refused. {@link #key()} is the fully qualified key ({@code section.key}) so the
 * operator knows exactly which line of {@code omendb.toml} (or which environment variable) to fix.
 */
public final class ConfigException extends RuntimeException {
    private final String key;

    public ConfigException(String key, String message) {
        super(key + ": " + message);
        this.key = key;
    }

    public String key() {
        return key;
    }
}
