package io.omendb.config;

/**
 * Something the loader wants the operator to read while a configuration is accepted: a key read under its new
 * name, a key of the operations guide that has no meaning here and is ignored, or a default the node will run
 * with (no {@code [cluster]}: a one-node cluster). The loader does not log (the log level is itself configured by
 * the file being read); the program logs these once its logging is set up.
 *
 * @param key     the fully qualified key as the file spells it ({@code http.host}), or the section
 * @param message what happens and, for an ignored key, why and what to write instead
 */
public record ConfigNotice(Severity severity, String key, String message) {
    /** {@link #INFO}: the file works as written (a key read under another name, a default chosen); {@link #WARN}: a
     *  setting is ignored. */
    public enum Severity { INFO, WARN }

    @Override
    public String toString() {
        return key + ": " + message;
    }
}
